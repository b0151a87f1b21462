"""django.tasks tasks of the tickets app, run by ``manage.py db_worker``."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from emails.tasks import EMAIL_QUEUE


@task(queue_name=EMAIL_QUEUE)
def reset_request_process(
    *,
    user_id: int | None,
    client_id: str = "",
    actor_id: int | None = None,
    door: str = "self_service",
    language: str = "",
) -> dict[str, Any]:
    """Fulfil a forgot-password request (a no-op when it named nobody who may reset)."""
    from tickets.services import reset_request_fulfil

    return reset_request_fulfil(
        user_id=user_id, client_id=client_id, actor_id=actor_id, door=door, language=language
    )


@task(queue_name=EMAIL_QUEUE)
def reset_request_receive(
    *,
    email: str,
    connection_id: str,
    client_id: str = "",
    ip: str | None = None,
    agent: str = "",
    language: str = "",
) -> dict[str, Any]:
    """The worker's half of a self-service forgot-password request (page or API)."""
    from accounts.models import Application, Connection
    from tickets.services import password_reset_request

    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:  # deleted between the request and now: nothing to do
        return {"sent": False}
    application = Application.objects.filter(pk=client_id).first() if client_id else None
    outcome = password_reset_request(
        email=email,
        connection=connection,
        application=application,
        ip=ip,
        agent=agent,
        language=language,
        fulfil_now=True,
    )
    return {"sent": outcome.sent}
