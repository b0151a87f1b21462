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
