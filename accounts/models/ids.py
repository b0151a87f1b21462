"""Identifiers in Auth0's shapes, and the key emails are matched on."""

from __future__ import annotations

import secrets
import string
import unicodedata

from django.utils import timezone

ALNUM = string.ascii_letters + string.digits


def _random_alnum(length: int) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(length))


def new_connection_id() -> str:
    return "con_" + _random_alnum(16)


def new_client_id() -> str:
    return _random_alnum(32)


DATABASE_USER_ID_PREFIX = "auth0|"


# The id part a migrating customer brings from Auth0 (``auth0|`` + this): no spaces, no "|".
GIVEN_USER_ID_PATTERN = r"^(auth0\|)?[!-{}~]{1,120}$"


def new_user_id() -> str:
    return DATABASE_USER_ID_PREFIX + secrets.token_hex(12)


def database_user_id(given: str) -> str:
    """``auth0|<given>``, as Auth0 makes it from a ``user_id`` given at creation or import.

    An id that already starts with ``auth0|`` (as Auth0's own export writes them) is kept as it
    is, so that a file exported from Auth0 imports without renumbering anyone.
    """
    if given.startswith(DATABASE_USER_ID_PREFIX):
        return given
    return DATABASE_USER_ID_PREFIX + given


def new_session_id() -> str:
    return _random_alnum(32)


def new_security_stamp() -> str:
    return secrets.token_hex(16)


def new_log_id() -> str:
    # Auth0 log ids sort by time: a millisecond timestamp, then randomness.
    return f"{int(timezone.now().timestamp() * 1000):015d}{secrets.token_hex(8)}"


def email_key(email: str) -> str:
    """The form emails are matched on: NFKC, case-folded, trimmed (Django CVE-2019-19844)."""
    return unicodedata.normalize("NFKC", email).casefold().strip()


def new_refresh_token_id() -> str:
    return "rt_" + _random_alnum(24)
