"""Auth0's bulk user import JSON, keeping users' password hashes (bcrypt, argon2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.events import log_event
from accounts.models import LogType, User, email_key
from accounts.selectors import connection_by_name

PROFILE_FIELDS = ("given_name", "family_name", "name", "nickname", "picture", "username")


def django_hash(entry: dict[str, Any]) -> str | None:
    """Auth0's custom_password_hash (or legacy password_hash) as a Django-encoded hash."""
    if legacy := entry.get("password_hash"):
        if not isinstance(legacy, str) or not legacy.startswith(("$2a$", "$2b$", "$2y$")):
            raise ValueError("password_hash must be a bcrypt hash ($2a$/$2b$/$2y$)")
        return "bcrypt$" + legacy
    custom = entry.get("custom_password_hash")
    if custom is None:
        return None
    if not isinstance(custom, dict) or not isinstance(custom.get("hash"), dict):
        raise ValueError("custom_password_hash must be an object with a hash object")
    algorithm = custom.get("algorithm")
    value = custom["hash"].get("value")
    if not isinstance(value, str) or not value:
        raise ValueError("custom_password_hash.hash.value is required")
    if algorithm == "bcrypt":
        if not value.startswith(("$2a$", "$2b$", "$2y$")):
            raise ValueError("a bcrypt hash starts with $2a$, $2b$ or $2y$")
        return "bcrypt$" + value
    if algorithm == "argon2":
        if not value.startswith(("$argon2id$", "$argon2i$", "$argon2d$")):
            raise ValueError("an argon2 hash is a PHC string starting with $argon2id$")
        return "argon2" + value
    raise ValueError(
        f"custom_password_hash algorithm {algorithm!r} is not supported (bcrypt, argon2)"
    )


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
        if not isinstance(entries, list):
            raise CommandError("The file must hold a JSON array of users.")

        errors: list[str] = []
        rows: list[tuple[dict[str, Any], str | None]] = []
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("email"), str):
                errors.append(f"#{index}: each user needs an email string")
                continue
            key = email_key(entry["email"])
            if key in seen:
                errors.append(f"#{index}: duplicate email in the file")
                continue
            seen.add(key)
            try:
                rows.append((entry, django_hash(entry)))
            except ValueError as exc:
                errors.append(f"#{index}: {exc}")
        existing = set(
            User.objects.filter(connection=connection, email_key__in=seen).values_list(
                "email_key", flat=True
            )
        )
        if existing and not options["upsert"]:
            errors.append(f"{len(existing)} user(s) exist already; pass --upsert to update them")
        if errors:
            raise CommandError("Nothing imported:\n  " + "\n  ".join(errors[:50]))

        created = updated = 0
        with transaction.atomic():
            for entry, encoded in rows:
                fields = {f: entry[f] for f in PROFILE_FIELDS if isinstance(entry.get(f), str)}
                fields["email_verified"] = bool(entry.get("email_verified", False))
                fields["blocked"] = bool(entry.get("blocked", False))
                for meta in ("user_metadata", "app_metadata"):
                    if isinstance(entry.get(meta), dict):
                        fields[meta] = entry[meta]
                user = User.objects.filter(
                    connection=connection, email_key=email_key(entry["email"])
                ).first()
                if user is None:
                    user = User(connection=connection, email=entry["email"], **fields)
                    created += 1
                else:
                    for name, value in fields.items():
                        setattr(user, name, value)
                    updated += 1
                if encoded:
                    user.password = encoded
                elif not user.password:
                    user.set_unusable_password()
                user.save()
            log_event(
                type=LogType.SUCCESS_API_OPERATION,
                description="Bulk user import",
                connection_name=connection.name,
                connection_id=connection.id,
                details={"created": created, "updated": updated},
            )
        self.stdout.write(
            self.style.SUCCESS(f"Imported {created} new and {updated} updated user(s).")
        )
