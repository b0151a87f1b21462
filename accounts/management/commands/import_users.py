"""Auth0's bulk user import JSON, keeping users' password hashes (bcrypt, argon2)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from accounts.imports import ImportRefused, users_import
from accounts.selectors import connection_by_name

# On a terminal, files of at least this many users get a progress bar without --progress.
LARGE_FILE_USERS = 1000
BAR_WIDTH = 30


class ProgressBar:
    """``[#####.....]  500/1000 users`` on one line of stderr, redrawn at most 10 times a second."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.drawn_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        # Plain text: stderr's default style is the error colour on a terminal.
        self.stream.write(
            f"\r[{bar}] {done}/{total} users",
            style_func=str,
            ending="\n" if done >= total else "",
        )
        self.stream.flush()


class Command(BaseCommand):
    help = "Import users from Auth0's bulk-import JSON into a database connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a JSON array of users, as Auth0's bulk import takes")
        parser.add_argument("--connection", required=True, help="the database connection's name")
        parser.add_argument("--upsert", action="store_true", help="update users that exist")
        parser.add_argument(
            "--progress",
            action="store_true",
            help="draw a progress bar on stderr (the default on a terminal for large files)",
        )

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
        large = isinstance(entries, list) and len(entries) >= LARGE_FILE_USERS
        show = options["progress"] or (large and self.stderr.isatty())
        try:
            result = users_import(
                connection=connection,
                entries=entries,
                upsert=options["upsert"],
                progress=ProgressBar(self.stderr) if show else None,
            )
        except ImportRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} new and {result.updated} updated user(s)."
            )
        )
