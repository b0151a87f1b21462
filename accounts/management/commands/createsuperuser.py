"""``createsuperuser``: a staff administrator in the staff realm, under the realm's policy."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.core.exceptions import ValidationError
from django.core.management import CommandError


class Command(createsuperuser.Command):
    help = "Create a staff administrator (in the staff realm; its password policy applies)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            super().handle(*args, **options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
