"""Bulk import of users in Auth0's format, keeping their password hashes.

``users_import`` is the write service behind ``manage.py import_users``: a new user is created
with the imported hash, an existing one (``upsert``) gets it through ``password_hash_import``,
the same write as every password change (history, stamp, sessions, reset links, log).

An imported hash is checked before anything is written: only bcrypt and Argon2 are taken, and
only up to a stated cost (``REKEY_IMPORT_MAX_COST``). Verifying a hash costs what its author
chose; one imported at a huge cost would make each login of that user take seconds and
hundreds of megabytes, on a public page anyone can post to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.audit import Audit, Door
from accounts.events import log_event
from accounts.models import (
    GIVEN_USER_ID_PATTERN,
    Application,
    Connection,
    LogType,
    User,
    database_user_id,
    email_key,
)
from accounts.services import password_hash_import

PROFILE_FIELDS = ("given_name", "family_name", "name", "nickname", "picture", "username")
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_BCRYPT = re.compile(r"^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$")
_ENTRY_ERROR = re.compile(r"^#(\d+): (.*)$", re.DOTALL)
_ARGON2 = re.compile(r"^\$argon2(id|i|d)\$(?:v=\d+\$)?m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+$")


class ImportRefused(Exception):
    """Nothing was imported; ``errors`` says why, one line an entry."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("Nothing imported:\n  " + "\n  ".join(errors[:50]))
        self.errors = list(errors)

    def by_entry(self) -> tuple[dict[int, list[str]], list[str]]:
        """The errors of each entry (by its index in the file), and those of no one entry."""
        entries: dict[int, list[str]] = {}
        general: list[str] = []
        for error in self.errors:
            if match := _ENTRY_ERROR.match(error):
                entries.setdefault(int(match.group(1)), []).append(match.group(2))
            else:
                general.append(error)
        return entries, general


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _bcrypt(value: str) -> str:
    match = _BCRYPT.match(value)
    if not match:
        raise ValueError("a bcrypt hash is $2a$, $2b$ or $2y$, a two-digit cost and 53 characters")
    cost = int(match.group(1))
    limit = settings.REKEY_IMPORT_MAX_COST["bcrypt_rounds"]
    if cost > limit:
        raise ValueError(f"bcrypt cost {cost} is above the import limit of {limit}")
    return "bcrypt$" + value


def _argon2(value: str) -> str:
    match = _ARGON2.match(value)
    if not match:
        raise ValueError("an argon2 hash is a PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash")
    memory, time, lanes = (int(g) for g in match.group(2, 3, 4))
    limits = settings.REKEY_IMPORT_MAX_COST
    if memory > limits["argon2_memory_kib"]:
        raise ValueError(
            f"argon2 memory {memory} KiB is above the import limit of "
            f"{limits['argon2_memory_kib']} KiB"
        )
    if time > limits["argon2_time"]:
        raise ValueError(
            f"argon2 time cost {time} is above the import limit of {limits['argon2_time']}"
        )
    if lanes > limits["argon2_parallelism"]:
        raise ValueError(
            f"argon2 parallelism {lanes} is above the import limit of "
            f"{limits['argon2_parallelism']}"
        )
    return "argon2" + value


def django_hash(entry: dict[str, Any]) -> str | None:
    """Auth0's custom_password_hash (or legacy password_hash) as a Django-encoded hash."""
    if legacy := entry.get("password_hash"):
        if not isinstance(legacy, str):
            raise ValueError("password_hash must be a bcrypt hash ($2a$/$2b$/$2y$)")
        return _bcrypt(legacy)
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
        return _bcrypt(value)
    if algorithm == "argon2":
        return _argon2(value)
    raise ValueError(
        f"custom_password_hash algorithm {algorithm!r} is not supported (bcrypt, argon2)"
    )


def users_import(
    *,
    connection: Connection,
    entries: Any,
    upsert: bool = False,
    actor: User | None = None,
    application: Application | None = None,
    job_id: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import every entry or none (raises ImportRefused naming each bad entry).

    ``progress(done, total)`` is called as users are written (a command's progress bar).
    """
    if connection.is_staff_realm or not connection.is_database:
        # Staff are made by staff, one at a time: no tenant file may add or change one.
        raise ImportRefused([f"{connection.name} is not a database connection of the tenant."])
    if not isinstance(entries, list):
        raise ImportRefused(["The file must hold a JSON array of users."])
    errors: list[str] = []
    rows: list[tuple[dict[str, Any], str | None]] = []
    seen: set[str] = set()
    ids: dict[str, int] = {}
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
            if (user_id := _user_id(entry)) is not None:
                if user_id in ids:
                    raise ValueError(f"user_id {user_id} is also #{ids[user_id]}'s")
                ids[user_id] = index
            rows.append((entry, django_hash(entry)))
        except ValueError as exc:
            errors.append(f"#{index}: {exc}")
    existing = {
        user.email_key: user
        for user in User.objects.filter(connection=connection, email_key__in=seen)
    }
    if existing and not upsert:
        errors.append(f"{len(existing)} user(s) exist already; pass --upsert to update them")
    errors.extend(_user_id_conflicts(rows, existing, ids))
    if errors:
        raise ImportRefused(errors)

    audit = Audit(door=Door.IMPORT, actor=actor, application=application)
    created = updated = 0
    with transaction.atomic():
        for done, (entry, encoded) in enumerate(rows, start=1):
            if progress is not None:
                progress(done - 1, len(rows))
            fields = _profile(entry)
            user = existing.get(email_key(entry["email"]))
            if user is None:
                user = User(connection=connection, email=entry["email"], **fields)
                if (user_id := _user_id(entry)) is not None:
                    user.user_id = user_id
                if encoded:
                    user.password = encoded
                else:
                    user.set_unusable_password()
                user.save()
                created += 1
                continue
            for name, value in fields.items():
                setattr(user, name, value)
            user.save(update_fields=[*fields, "updated_at"])
            if encoded:
                password_hash_import(user=user, encoded=encoded, audit=audit)
            updated += 1
        if progress is not None:
            progress(len(rows), len(rows))
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Bulk user import",
            connection_name=connection.name,
            connection_id=connection.id,
            details={
                "created": created,
                "updated": updated,
                "door": "job" if job_id else str(audit.door),
                **({"job_id": job_id} if job_id else {}),
            },
            **audit.log_fields(),
        )
    return ImportResult(created=created, updated=updated)


def _user_id(entry: dict[str, Any]) -> str | None:
    """The entry's ``user_id`` as Rekey stores it (``auth0|`` + the id), or None."""
    given = entry.get("user_id")
    if given is None:
        return None
    if not isinstance(given, str) or not re.match(GIVEN_USER_ID_PATTERN, given):
        raise ValueError("user_id must be up to 120 printable characters, without | or spaces")
    return database_user_id(given)


def _user_id_conflicts(
    rows: list[tuple[dict[str, Any], str | None]],
    existing: dict[str, User],
    ids: dict[str, int],
) -> list[str]:
    """A kept id must be free, or be the id of the user the entry updates."""
    errors = []
    updated = {
        user_id: existing[email_key(entry["email"])]
        for entry, _ in rows
        if (user_id := _user_id(entry)) and email_key(entry["email"]) in existing
    }
    for user_id, user in updated.items():
        if user.user_id != user_id:
            errors.append(f"#{ids[user_id]}: user_id differs from the existing user's")
    # Any user at all, staff included: ids are unique across the table.
    taken = User.objects.filter(user_id__in=set(ids) - set(updated)).values_list(
        "user_id", flat=True
    )
    errors.extend(f"#{ids[user_id]}: user_id {user_id} exists already" for user_id in taken)
    return errors


def _profile(entry: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {f: entry[f] for f in PROFILE_FIELDS if isinstance(entry.get(f), str)}
    fields["email_verified"] = bool(entry.get("email_verified", False))
    fields["blocked"] = bool(entry.get("blocked", False))
    for meta in ("user_metadata", "app_metadata"):
        if isinstance(entry.get(meta), dict):
            fields[meta] = entry[meta]
    return fields
