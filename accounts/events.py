"""Log events with Auth0's type codes: the one place that writes them."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from accounts import ratelimit
from accounts.models import Application, LogEvent, LogType, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address as the server saw it (a proxy in front sets REMOTE_ADDR for us)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("HTTP_USER_AGENT", ""))[:512]


def log_event(
    *,
    type: LogType | str,
    description: str = "",
    user: User | None = None,
    user_name: str = "",
    actor: User | None = None,
    application: Application | None = None,
    connection_name: str = "",
    connection_id: str = "",
    request: HttpRequest | None = None,
    ip: str | None = None,
    agent: str | None = None,
    details: dict[str, Any] | None = None,
    reason: str = "",
) -> LogEvent:
    """Write one log event. Never pass a password, a token or a client secret in details.

    ``ip`` and ``agent`` stand in for ``request`` where the work runs later, in the worker.
    ``reason`` is the acting staff member's own words, kept in details.
    """
    if reason:
        details = {**(details or {}), "reason": reason[:500]}
    if user is not None:
        connection_name = connection_name or user.connection.name
        connection_id = connection_id or user.connection_id
    return LogEvent.objects.create(
        type=str(type),
        description=description[:500],
        user=user,
        user_id_text=user.user_id if user else "",
        user_name=user.email if user else user_name[:254],
        actor=actor,
        client_id=application.client_id if application else "",
        client_name=application.name if application else "",
        connection=connection_name,
        connection_id=connection_id,
        ip=ip or client_ip(request),
        user_agent=(agent if agent is not None else user_agent(request))[:512],
        details=details or {},
    )


def log_event_counted(*, scope: str, **kwargs: Any) -> LogEvent | None:
    """Log the first event of ``scope`` in a window; count the rest into the next row's details.

    For events an unauthenticated flood can trigger (rate limits, blocked attempts): one row per
    ``RATELIMIT_LOG_WINDOW`` seconds per scope, whatever the flood; the next row carries how many
    were left out in ``details["suppressed"]``. The counts live in the cache (shared via Redis).
    """
    window = max(1, int(settings.RATELIMIT_LOG_WINDOW))
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{scope}".encode()).hexdigest()[:40]
    # The window is a slot of the clock (not a key's TTL), so every server agrees on it.
    slot = int(time.time() // window)
    gate, counter = f"logc:gate:{digest}:{slot}", f"logc:count:{digest}"
    if not cache.add(gate, 1, timeout=window * 2):
        cache.add(counter, 0, timeout=30 * 86400)
        cache.incr(counter)
        return None
    suppressed = int(cache.get(counter) or 0)
    if suppressed:
        # Take away only what was read: increments made meanwhile stay for the next row.
        cache.decr(counter, suppressed)
        kwargs["details"] = {**(kwargs.get("details") or {}), "suppressed": suppressed}
    return log_event(**kwargs)


def rate_limited[R: HttpResponse](
    response: R,
    *,
    decision: ratelimit.Decision,
    action: str,
    request: HttpRequest,
    description: str,
    **log: Any,
) -> R:
    """A door's answer over its rate limit: logged ``api_limit`` (counted), with the headers.

    ``response`` is the door's own 429 body (a page, an OAuth error, an Authentication API
    error); the log row is counted per action and address so that a flood writes few rows.
    """
    log_event_counted(
        scope=f"{action}:{client_ip(request)}",
        type=LogType.API_LIMIT,
        description=description,
        request=request,
        **log,
    )
    for name, value in ratelimit.headers(decision).items():
        response[name] = value
    return response
