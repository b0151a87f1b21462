"""Which failures are worth another try, and how long to wait before it.

A provider's permanent refusal (an SMTP 5xx, an ESP's "rejected") ends a delivery at once; a
temporary one (a 4xx, a timeout, a refused connection) and an outage of our own database or
Redis are tried again after a backoff. Nothing here prints an address or a message.
"""

from __future__ import annotations

import smtplib
import socket

from django.conf import settings
from django.db import InterfaceError, OperationalError


def _redis_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = []
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    try:
        from django_redis.exceptions import ConnectionInterrupted

        errors.append(ConnectionInterrupted)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


REDIS_ERRORS = _redis_errors()
DATABASE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


def infrastructure_down(exc: BaseException) -> str:
    """ "database" or "redis" when ``exc`` says one of ours is unreachable, else ""."""
    if isinstance(exc, DATABASE_ERRORS):
        return "database"
    if isinstance(exc, REDIS_ERRORS):
        return "redis"
    return ""


def _smtp_code(exc: BaseException) -> int | None:
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code)
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        codes = [int(code) for code, _message in exc.recipients.values()]
        # Permanent only when every recipient was refused for good.
        return min(codes)
    return None


def provider_refused_for_good(exc: BaseException) -> bool:
    """True for a refusal that another try cannot change (SMTP 5xx, an ESP's rejection)."""
    code = _smtp_code(exc)
    if code is not None:
        return code >= 500
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a dependency
        return False
    if isinstance(exc, AnymailRecipientsRefused):
        return True
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        # An HTTP API's 4xx is a bad request (except throttling); its 5xx is the ESP's outage.
        return status is not None and 400 <= status < 500 and status not in (408, 429)
    return False


def temporary(exc: BaseException) -> bool:
    """True for the failures worth another try: timeouts, refused connections, 4xx, outages."""
    if provider_refused_for_good(exc):
        return False
    return isinstance(exc, OSError | socket.timeout | smtplib.SMTPException) or bool(
        infrastructure_down(exc)
    )


def backoff_seconds(attempt: int, steps: list[int] | None = None) -> int:
    """Seconds to wait before try ``attempt + 1`` (1-based attempts; the last step repeats)."""
    steps = steps or settings.REKEY_EMAIL_BACKOFF or [60]
    return int(steps[max(0, min(attempt, len(steps)) - 1)])
