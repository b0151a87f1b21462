"""django.tasks tasks of the tickets app, run by ``bin/worker`` (whichever engine is configured).

Each runs again when its worker dies (the sweep, or the engine's own retry), so each is
idempotent: its id is the key of the ticket it issues, and a second run finds it. An outage of
the database or of Redis (the rate limits) raises, and the engine tries the task again later
rather than dropping a request the user was told about.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.tasks import TaskContext, task

from emails.tasks import REQUEST_QUEUE


@task(queue_name=REQUEST_QUEUE, takes_context=True)
def reset_email_send_task(
    context: TaskContext,
    *,
    user_id: int | None,
    client_id: str = "",
    actor_id: int | None = None,
    door: str = "self_service",
    language: str = "",
) -> dict[str, Any]:
    """Fulfil a forgot-password request (a no-op when it named nobody who may reset)."""
    from tickets.requests import task_enqueued_at
    from tickets.services import reset_email_send

    try:
        return reset_email_send(
            user_id=user_id,
            client_id=client_id,
            actor_id=actor_id,
            door=door,
            language=language,
            request_key=str(context.task_result.id),
            requested_at=task_enqueued_at(context.task_result.enqueued_at),
        )
    except IntegrityError:
        # Another run of this very task committed its ticket first.
        return {"sent": True, "repeat": True}


@task(queue_name=REQUEST_QUEUE, takes_context=True)
def reset_request_check_task(
    context: TaskContext,
    *,
    email: str,
    connection_id: str,
    client_id: str = "",
    ip: str | None = None,
    agent: str = "",
    language: str = "",
) -> dict[str, Any]:
    """The worker's half of a self-service forgot-password request with the database as queue.

    The task row is the request's durable copy, and its id keys the request. With a broker,
    requests are ``ResetRequest`` rows run by ``reset_requests_run_task`` instead.
    """
    from tickets.requests import reset_request_run, task_enqueued_at

    return reset_request_run(
        request_key=str(context.task_result.id),
        email=email,
        connection_id=connection_id,
        client_id=client_id,
        ip=ip,
        agent=agent,
        language=language,
        requested_at=task_enqueued_at(context.task_result.enqueued_at),
    )


@task(queue_name=REQUEST_QUEUE)
def reset_requests_run_task() -> dict[str, int]:
    """The broker's wake-up for forgot-password requests: claim the waiting rows and send.

    Takes no arguments: the rows (``ResetRequest``) are the requests; a job only says that
    some wait, so one job serves however many arrived since the last one was taken.
    """
    from tickets.requests import reset_requests_run

    return reset_requests_run()
