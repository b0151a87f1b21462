"""Argument helpers shared by the management commands (as Zulip's zerver/lib/management.py)."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import CommandError

from accounts.models import User
from accounts.selectors import user_lookup


def add_user_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("user", help="an email address or a user_id (auth0|...)")
    parser.add_argument("--connection", help="the connection's name, where an email is ambiguous")


def user_from_options(options: dict) -> User:
    """The one user named by USER (and --connection), or a CommandError saying why not."""
    users = user_lookup(options["user"], connection_name=options.get("connection"))
    if not users:
        raise CommandError(f"No user matches {options['user']!r}.")
    if len(users) > 1:
        names = ", ".join(sorted(u.connection.name for u in users))
        raise CommandError(
            f"{options['user']!r} is in several connections ({names}); pass --connection."
        )
    return users[0]


def add_password_file_argument(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--password-file",
        help="read the new password from the first line of this file (never from the command line)",
    )


def password_from_options(options: dict, *, prompt: str = "Password: ") -> str:
    """Read a password from --password-file, or twice from a prompt."""
    if path := options.get("password_file"):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read the password file: {exc.strerror}") from exc
        password = text.splitlines()[0] if text else ""
        if not password:
            raise CommandError("The password file is empty.")
        return password
    if not options.get("interactive", True):
        raise CommandError("No password given: use --password-file or run interactively.")
    first = getpass.getpass(prompt)
    second = getpass.getpass("Password (again): ")
    if first != second:
        raise CommandError("The passwords do not match.")
    return first
