"""django.tasks tasks of the webhooks app, run by ``bin/worker`` (either task engine)."""

from __future__ import annotations

from django.tasks import task

from emails.tasks import REQUEST_QUEUE


@task(queue_name=REQUEST_QUEUE)
def webhook_deliver(delivery_id: int) -> str:
    """Deliver one webhook row; a failure schedules the next attempt."""
    from webhooks.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


@task(queue_name=REQUEST_QUEUE)
def log_stream_flush_task(stream_id: str) -> dict[str, object]:
    """Send a log stream's next batch (the sweep wakes streams with events waiting)."""
    from webhooks.streams import log_stream_flush

    return log_stream_flush(stream_id=stream_id)
