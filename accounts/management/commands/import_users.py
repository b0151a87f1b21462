"""Auth0's bulk user import JSON, keeping users' password hashes (bcrypt, argon2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports import ImportRefused, users_import
from accounts.selectors import connection_by_name


class Command(BaseCommand):
    help = "Import users from Auth0's bulk-import JSON into a database connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a JSON array of users, as Auth0's bulk import takes")
        parser.add_argument("--connection", required=True, help="the database connection's name")
        parser.add_argument("--upsert", action="store_true", help="update users that exist")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connection_by_name(options["connection"])
        if connection is None:
            raise CommandError(f"No connection named {options['connection']!r}.")
        if not connection.is_database:
            raise CommandError(
                f"{connection.name} is not a database connection: it holds no passwords."
            )
        try:
            entries = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        try:
            result = users_import(connection=connection, entries=entries, upsert=options["upsert"])
        except ImportRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} new and {result.updated} updated user(s)."
            )
        )
