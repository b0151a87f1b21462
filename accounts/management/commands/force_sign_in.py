"""End every session and token of a user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.management.helpers import add_user_arguments, user_from_options
from accounts.services import Audit, Door, sessions_expire


class Command(BaseCommand):
    help = "End every session and token of the user; they must sign in again."

    def add_arguments(self, parser: CommandParser) -> None:
        add_user_arguments(parser)
        parser.add_argument("--reason", default="", help="why, for the log")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_from_options(options)
        count = sessions_expire(user=user, audit=Audit(door=Door.COMMAND, reason=options["reason"]))
        self.stdout.write(self.style.SUCCESS(f"Ended {count} session(s) of {user.user_id}."))
