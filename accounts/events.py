"""Log events with Auth0's type codes: the one place that writes them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

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
