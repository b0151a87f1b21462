"""Secrets out of every log line Rekey or gunicorn writes.

The link in a reset email carries its token in the query string, and so does the first GET of
it: an access log would keep a working link for as long as the log is kept. Everything that
writes a line (gunicorn's access log through ``GunicornLogger``, Python logging through
``RedactSecretsFilter``) replaces the values of the parameters below with ``[redacted]``.
Imports nothing of Django's models: gunicorn loads it before Django is set up.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

SECRET_PARAMETERS = (
    "ticket",
    "token",
    "code",
    "access_token",
    "id_token",
    "refresh_token",
    "client_secret",
    "password",
)
_SECRET_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(" + "|".join(SECRET_PARAMETERS) + r")=[^&\s\"']*"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced."""
    if "=" not in text:
        return text
    return _SECRET_VALUE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


class GunicornLogger(Logger):
    """gunicorn's logger, with secret query parameters redacted in every access-log atom."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


class RedactSecretsFilter(logging.Filter):
    """A logging filter that redacts secret query parameters in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
