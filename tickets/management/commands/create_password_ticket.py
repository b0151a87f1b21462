"""``manage.py create_password_ticket USER [--ttl SECONDS] [--result-url URL]``: print a link."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator

from accounts.audit import Audit, Door
from accounts.management.helpers import add_user_arguments, user_from_options
from accounts.services import password_change_allowed
from tickets.services import ticket_issue, ticket_url


class Command(BaseCommand):
    help = "Create a password-change ticket for a user and print its URL (no email is sent)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_user_arguments(parser)
        parser.add_argument(
            "--ttl", type=int, default=0, help="lifetime in seconds (0: the template's, 5 days)"
        )
        parser.add_argument("--result-url", default="", help="where to go after the reset")
        parser.add_argument("--mark-email-as-verified", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_from_options(options)
        if why := password_change_allowed(user):
            raise CommandError(why)
        if options["ttl"] < 0:
            raise CommandError("--ttl must be 0 or more.")
        if result_url := options["result_url"]:
            try:
                URLValidator(schemes=["http", "https"])(result_url)
            except ValidationError as exc:
                raise CommandError("--result-url is not an http(s) URL.") from exc
        _, token = ticket_issue(
            user=user,
            audit=Audit(door=Door.COMMAND),
            ttl_seconds=options["ttl"] or None,
            result_url=result_url,
            mark_email_as_verified=options["mark_email_as_verified"],
        )
        # The one place the link is shown: to the operator who asked for it.
        self.stdout.write(ticket_url(token))
