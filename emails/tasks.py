"""django.tasks tasks of the email app, run by ``manage.py db_worker``."""

from __future__ import annotations

from django.tasks import task

EMAIL_QUEUE = "email"


@task(queue_name=EMAIL_QUEUE)
def email_deliver(delivery_id: int) -> str:
    """Deliver one outbox row through EMAIL_BACKEND; a failure schedules the next attempt."""
    from emails.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)
