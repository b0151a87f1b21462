"""Django's changepassword, through the one password service (policy, history, log, sessions)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.helpers import (
    add_password_file_argument,
    add_user_arguments,
    password_from_options,
    user_from_options,
)
from accounts.services import Audit, Door, PasswordChangeError, password_set


class Command(BaseCommand):
    help = "Set a user's password through the connection's policy; ends their sessions."

    def add_arguments(self, parser: CommandParser) -> None:
        add_user_arguments(parser)
        add_password_file_argument(parser)
        parser.add_argument("--reason", default="", help="why, for the log")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_from_options(options)
        password = password_from_options(options, prompt=f"New password for {user.email}: ")
        try:
            audit = Audit(door=Door.COMMAND, reason=options["reason"])
            password_set(user=user, password=password, audit=audit)
        except PasswordChangeError as exc:
            lines = [exc.message] + [f"  - {f.message} ({f.code})" for f in exc.failures]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Password changed for {user.user_id}; sessions ended.")
        )
