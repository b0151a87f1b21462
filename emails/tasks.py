"""django.tasks tasks of the email app, run by ``bin/worker`` (whichever engine is configured)."""

from __future__ import annotations

from django.tasks import task

# Deliveries have a queue of their own, served ahead of new requests (see bin/worker).
EMAIL_QUEUE = "email"
REQUEST_QUEUE = "default"


@task(queue_name=EMAIL_QUEUE, priority=10)
def email_deliver(delivery_id: int | None = None) -> str:
    """Deliver a batch of ready outbox rows (this one among them) through EMAIL_BACKEND.

    ``None``: a broker's wake-up for whatever is ready. A failure schedules the next attempt.
    """
    from emails.delivery import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)
