"""``manage.py purge_tickets``: remove used, revoked and expired tickets past their retention."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tickets.services import tickets_purge


class Command(BaseCommand):
    help = "Delete used, revoked and expired tickets older than the retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.REKEY_TICKET_RETENTION_DAYS,
            help="retention in days (default: REKEY_TICKET_RETENTION_DAYS, %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = tickets_purge(retention_days=max(options["days"], 0))
        self.stdout.write(f"Deleted {deleted} tickets.")
