"""Prometheus metrics of the outbox and the task queue, read from the source of truth at scrape.

Every figure is computed from the database (and the broker) when scraped, so that it is the
same whichever web server answers and survives restarts: queue depth and the age of the
oldest waiting task per queue, deliveries by status, retries, and the request-to-send latency
of the deliveries sent in the last ``REKEY_METRICS_WINDOW_SECONDS``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Min, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from emails.models import DeliveryStatus, EmailDelivery
from emails.queue import tasks_in_database

QUANTILES = (0.5, 0.9, 0.99)


def _queues() -> dict[str, tuple[int, float]]:
    """Queue name -> (waiting tasks, age in seconds of the oldest)."""
    now = timezone.now()
    result: dict[str, tuple[int, float]] = {}
    if tasks_in_database():
        from django_tasks_db.models import DBTaskResult

        rows = (
            DBTaskResult.objects.ready()
            .values("queue_name")
            .annotate(depth=Count("id"), oldest=Min("enqueued_at"))
        )
        for row in rows:
            result[row["queue_name"]] = (row["depth"], (now - row["oldest"]).total_seconds())
        return result
    from emails.engine import _queue

    for name in settings.RQ_QUEUES:
        queue = _queue(name)
        depth = queue.count
        age = 0.0
        if depth:
            first = queue.get_job_ids(0, 1)
            job = queue.fetch_job(first[0]) if first else None
            if job is not None and job.enqueued_at is not None:
                enqueued = job.enqueued_at
                if enqueued.tzinfo is None:
                    enqueued = enqueued.replace(tzinfo=UTC)
                age = (now - enqueued).total_seconds()
        result[name] = (depth, age)
    return result


def _latencies() -> list[float]:
    since = timezone.now() - timedelta(seconds=settings.REKEY_METRICS_WINDOW_SECONDS)
    rows = (
        EmailDelivery.objects.filter(status=DeliveryStatus.SENT, sent_at__gte=since)
        .values_list("requested_at", "created_at", "sent_at")
        .order_by()[:20000]
    )
    values: list[float] = []
    for requested, created, sent in rows:
        start: datetime = requested or created
        if sent is not None:
            values.append((sent - start).total_seconds())
    return sorted(values)


def metrics_render() -> bytes:
    """The Prometheus text exposition of Rekey's queue and outbox."""
    registry = CollectorRegistry()
    depth = Gauge("rekey_queue_depth", "Tasks waiting in the queue", ["queue"], registry=registry)
    age = Gauge(
        "rekey_queue_oldest_age_seconds",
        "Age of the oldest task waiting in the queue",
        ["queue"],
        registry=registry,
    )
    for name in ("email", "default"):
        depth.labels(name).set(0)
        age.labels(name).set(0)
    for name, (count, oldest) in _queues().items():
        depth.labels(name).set(count)
        age.labels(name).set(oldest)

    by_status = Gauge(
        "rekey_email_deliveries", "Outbox rows by status", ["status"], registry=registry
    )
    counts = dict(EmailDelivery.objects.order_by().values_list("status").annotate(n=Count("id")))
    for status in DeliveryStatus.values:
        by_status.labels(status).set(counts.get(status, 0))

    retries = Gauge(
        "rekey_email_delivery_retries",
        "Attempts beyond the first, over every outbox row kept",
        registry=registry,
    )
    extra = EmailDelivery.objects.filter(attempts__gt=1).aggregate(n=Sum(F("attempts") - 1))
    retries.set(extra["n"] or 0)
    oldest_queued = EmailDelivery.objects.filter(status=DeliveryStatus.QUEUED).aggregate(
        t=Min("created_at")
    )["t"]
    Gauge(
        "rekey_email_oldest_queued_age_seconds",
        "Age of the oldest outbox row not yet sent",
        registry=registry,
    ).set((timezone.now() - oldest_queued).total_seconds() if oldest_queued else 0)
    feedback = Gauge(
        "rekey_email_feedback",
        "Outbox rows by the provider's last webhook event",
        ["event"],
        registry=registry,
    )
    for event, n in (
        EmailDelivery.objects.exclude(feedback="")
        .order_by()
        .values_list("feedback")
        .annotate(n=Count("id"))
    ):
        feedback.labels(event).set(n)

    latencies = _latencies()
    latency = Gauge(
        "rekey_email_request_to_send_seconds",
        "Request-to-send latency of the emails sent in the window (quantiles)",
        ["quantile"],
        registry=registry,
    )
    for q in QUANTILES:
        value = latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0
        latency.labels(str(q)).set(value)
    Gauge(
        "rekey_email_request_to_send_count",
        "Emails sent in the window",
        registry=registry,
    ).set(len(latencies))
    return generate_latest(registry)
