"""``manage.py send_password_reset EMAIL [--connection NAME]``: the forgot-password page's work."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.selectors import connection_by_name
from tickets.models import TicketDoor
from tickets.requests import reset_request_check


class Command(BaseCommand):
    help = "Send a password reset email, exactly as the forgot-password page does."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--connection",
            default=settings.REKEY_DEFAULT_CONNECTION,
            help="the database connection's name (default: %(default)s)",
        )
        parser.add_argument("--language", default="", help="en or ja (default: the user's)")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connection_by_name(options["connection"])
        if connection is None or not connection.is_database:
            raise CommandError(f"No database connection named {options['connection']!r}.")
        outcome = reset_request_check(
            email=options["email"],
            connection=connection,
            door=TicketDoor.COMMAND,
            language=options["language"],
        )
        if outcome.sent:
            self.stdout.write("Queued: the worker (manage.py db_worker) sends the email.")
        else:
            # An operator may know why; the web pages never say.
            raise CommandError(f"No email queued: {outcome.reason}.")
