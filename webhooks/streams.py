"""Auth0 log streams of type http: the tenant's log events, in batches and in order, to an endpoint.

A stream reads the log table from its ``cursor``: a flush claims the stream (a conditional UPDATE
with a lease, so one flush at a time and none lost with a dead worker), reads the next batch of
events older than ``REKEY_LOG_STREAM_LAG_SECONDS`` (rows of transactions still committing are
not passed over), POSTs those its filters keep, and moves the cursor only after a 2xx. A batch is
therefore delivered at least once and never out of order. Failures back off; after
``REKEY_LOG_STREAM_SUSPEND_AFTER`` in a row the stream is suspended until someone resumes it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.events import log_event
from accounts.models import STAFF_CONNECTION_NAME, LogEvent, LogType, User
from emails.queue import task_wake
from emails.resilience import backoff_seconds
from emails.sealing import seal, unseal
from webhooks.models import (
    LogStream,
    LogStreamAttempt,
    LogStreamFormat,
    LogStreamStatus,
)
from webhooks.ssrf import UnsafeURL, url_check

logger = logging.getLogger(__name__)

# Auth0's filter categories, and the log types of each that Rekey writes.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "auth.login.success": ("s",),
    "auth.login.fail": ("f", "limit_wc", "limit_mu", "gd_auth_failed"),
    "auth.login.notification": ("gd_auth_succeed", "gd_recovery_succeed"),
    "auth.logout.success": ("slo",),
    "auth.token_exchange.success": ("seccft", "seacft", "sertft", "sepft", "srrt"),
    "auth.token_exchange.fail": ("feccft", "feacft", "fertft", "ferrt", "fepft"),
    "management.success": ("sapi", "sdu"),
    "management.fail": ("api_limit",),
    "system.notification": ("fn",),
    "user.notification": (
        "scp",
        "scpr",
        "ssr",
        "ublkdu",
        "gd_enrollment_complete",
        "gd_unenroll",
    ),
    "user.fail": ("fcp", "fcpr", "fcph"),
}
OTHER = "other"


def category_of(log_type: str) -> str:
    for category, types in CATEGORIES.items():
        if log_type in types:
            return category
    return OTHER


def categories() -> list[str]:
    return [*CATEGORIES, OTHER]


class StreamInvalid(ValueError):
    """A stream setting Rekey refuses (its message says which)."""


def _filters_clean(filters: list[dict[str, str]]) -> list[dict[str, str]]:
    known = set(categories())
    cleaned = []
    for item in filters:
        if item.get("type") != "category" or item.get("name") not in known:
            raise StreamInvalid(f"Unknown filter: {json.dumps(item, sort_keys=True)}")
        cleaned.append({"type": "category", "name": item["name"]})
    return cleaned


def _endpoint_clean(url: str) -> str:
    try:
        url_check(url)
    except UnsafeURL as exc:
        raise StreamInvalid(str(exc)) from exc
    return url


def _log(
    description: str, stream: LogStream, actor: User | None, request: HttpRequest | None, **kw: Any
) -> None:
    log_event(
        type=LogType.SUCCESS_API_OPERATION,
        description=description,
        actor=actor,
        request=request,
        application=kw.get("application"),
        details={"log_stream": stream.pk, "name": stream.name},
    )


def log_stream_create(
    *,
    name: str,
    endpoint: str,
    authorization: str = "",
    content_type: str = "application/json",
    content_format: str = LogStreamFormat.JSONARRAY,
    filters: list[dict[str, str]] | None = None,
    start_from: datetime | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
    application: Any = None,
) -> LogStream:
    """A new active stream of the events logged from now on, or from ``start_from``."""
    with transaction.atomic():
        stream = LogStream.objects.create(
            name=name[:200],
            endpoint=_endpoint_clean(endpoint),
            authorization_sealed=seal({"value": authorization}) if authorization else "",
            content_type=content_type or "application/json",
            content_format=content_format,
            filters=_filters_clean(filters or []),
        )
        _log("Create a log stream", stream, actor, request, application=application)
        # From the events after this one's own log row (or those from ``start_from`` on).
        earlier = LogEvent.objects.filter(date__lt=start_from) if start_from else LogEvent.objects
        stream.cursor = earlier.aggregate(last=Max("pk"))["last"] or 0
        stream.save(update_fields=["cursor"])
    return stream


def log_stream_update(
    *,
    stream: LogStream,
    changes: dict[str, Any],
    actor: User | None = None,
    request: HttpRequest | None = None,
    application: Any = None,
) -> LogStream:
    """Change a stream: name, status (resume or pause), endpoint, authorization, format, filters.

    Resuming a suspended stream clears its failures; it carries on from its cursor.
    """
    if "endpoint" in changes:
        stream.endpoint = _endpoint_clean(changes["endpoint"])
    if "authorization" in changes:
        value = changes["authorization"]
        stream.authorization_sealed = seal({"value": value}) if value else ""
    if "filters" in changes:
        stream.filters = _filters_clean(changes["filters"])
    for field in ("name", "content_type", "content_format"):
        if field in changes:
            setattr(stream, field, changes[field])
    if "status" in changes:
        stream.status = changes["status"]
        if stream.status == LogStreamStatus.ACTIVE:
            stream.failures, stream.next_attempt_at, stream.last_error = 0, None, ""
    with transaction.atomic():
        stream.save()
        _log("Update a log stream", stream, actor, request, application=application)
    return stream


def log_stream_delete(
    *,
    stream: LogStream,
    actor: User | None = None,
    request: HttpRequest | None = None,
    application: Any = None,
) -> None:
    with transaction.atomic():
        _log("Delete a log stream", stream, actor, request, application=application)
        stream.delete()


def _item(log: LogEvent) -> dict[str, Any]:
    """One event as Auth0's streams send it: its id and the log event of the Management API."""
    from accounts.api.serializers.logs import ManagementLogSerializer

    return {"log_id": log.log_id, "data": dict(ManagementLogSerializer(log).data)}


def _wanted(stream: LogStream, log: LogEvent) -> bool:
    if log.connection == STAFF_CONNECTION_NAME:
        return False  # staff are out of reach of tenant doors, streams included
    if not stream.filters:
        return True
    return category_of(log.type) in {f["name"] for f in stream.filters}


def _bodies(stream: LogStream, items: list[dict[str, Any]]) -> list[str]:
    if stream.content_format == LogStreamFormat.JSONLINES:
        return ["\n".join(json.dumps(item) for item in items)]
    if stream.content_format == LogStreamFormat.JSONOBJECT:
        return [json.dumps(item) for item in items]
    return [json.dumps(items)]


def _post(stream: LogStream, body: str) -> tuple[int | None, str]:
    """POST one body; (status, error) with error empty on a 2xx."""
    headers = {"Content-Type": stream.content_type, "User-Agent": "Rekey-LogStreams/1"}
    if stream.authorization_sealed:
        headers["Authorization"] = unseal(stream.authorization_sealed)["value"]
    try:
        url_check(stream.endpoint)
        response = requests.post(
            stream.endpoint,
            data=body.encode(),
            headers=headers,
            timeout=settings.REKEY_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except UnsafeURL as exc:
        return None, str(exc)
    except requests.RequestException as exc:
        return None, type(exc).__name__
    response.close()
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    error = f"HTTP {response.status_code}"
    if 300 <= response.status_code < 400:
        error += " (redirects are not followed)"
    return response.status_code, error


def _claim(stream_id: str) -> LogStream | None:
    now = timezone.now()
    lease = timedelta(seconds=settings.REKEY_TASK_LEASE_SECONDS)
    claimed = (
        LogStream.objects.filter(pk=stream_id, status=LogStreamStatus.ACTIVE)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(claimed_until=now + lease)
    )
    return LogStream.objects.get(pk=stream_id) if claimed else None


def log_stream_flush(*, stream_id: str) -> dict[str, Any]:
    """Send a stream's next batch; returns what happened (``sent`` events, or ``error``)."""
    stream = _claim(stream_id)
    if stream is None:
        return {"skipped": True}  # paused, suspended, backing off, or another worker has it
    try:
        before = timezone.now() - timedelta(seconds=settings.REKEY_LOG_STREAM_LAG_SECONDS)
        batch = list(
            LogEvent.objects.filter(pk__gt=stream.cursor, date__lt=before).order_by("pk")[
                : settings.REKEY_LOG_STREAM_BATCH
            ]
        )
        if not batch:
            return {"sent": 0}
        items = [_item(log) for log in batch if _wanted(stream, log)]
        status: int | None = None
        error = ""
        for body in _bodies(stream, items) if items else []:
            status, error = _post(stream, body)
            if error:
                break
        _attempt_record(stream, batch, len(items), status, error)
        if error:
            _failure(stream, error)
            return {"error": error}
        LogStream.objects.filter(pk=stream.pk).update(
            cursor=batch[-1].pk, failures=0, next_attempt_at=None, last_error=""
        )
        if len(batch) == settings.REKEY_LOG_STREAM_BATCH:
            _wake(stream.pk)  # more waiting: go on at once
        return {"sent": len(items)}
    finally:
        LogStream.objects.filter(pk=stream.pk).update(claimed_until=None)


def _attempt_record(
    stream: LogStream, batch: list[LogEvent], events: int, status: int | None, error: str
) -> None:
    if not events and not error:
        return  # nothing the filters kept: the cursor moves on without a request
    LogStreamAttempt.objects.create(
        stream=stream,
        first_log_id=batch[0].pk,
        last_log_id=batch[-1].pk,
        events=events,
        ok=not error,
        response_status=status,
        error=error[:500],
    )


def _failure(stream: LogStream, error: str) -> None:
    failures = stream.failures + 1
    suspended = failures >= settings.REKEY_LOG_STREAM_SUSPEND_AFTER
    delay = backoff_seconds(failures, settings.REKEY_WEBHOOK_BACKOFF)
    LogStream.objects.filter(pk=stream.pk).update(
        failures=failures,
        last_error=error[:500],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        status=LogStreamStatus.SUSPENDED if suspended else LogStreamStatus.ACTIVE,
    )
    logger.warning("log stream %s: delivery failed (%s), failure %s", stream.pk, error, failures)
    if suspended:
        log_event(
            type=LogType.FAILED_NOTIFICATION,
            description=f"Log stream suspended after {failures} failed deliveries: {error}"[:500],
            details={"log_stream": stream.pk, "error": error[:200]},
        )


def log_stream_test(*, stream: LogStream) -> tuple[bool, str]:
    """Send one test event now (outside the stream's order); returns (ok, error)."""
    now = timezone.now()
    item = {
        "log_id": "test",
        "data": {
            "type": "test",
            "date": now.isoformat(),
            "description": "Test event sent from the Rekey dashboard",
        },
    }
    status, error = _post(stream, _bodies(stream, [item])[0])
    LogStreamAttempt.objects.create(
        stream=stream,
        first_log_id=0,
        last_log_id=0,
        events=1,
        ok=not error,
        response_status=status,
        error=error[:500],
        test=True,
    )
    return not error, error


def _wake(stream_id: str) -> None:
    from webhooks.tasks import log_stream_flush_task

    task_wake(log_stream_flush_task, stream_id, what=f"log stream {stream_id}")


def log_streams_wake() -> int:
    """Enqueue a flush of every active stream that has events waiting (run by the sweep)."""
    now = timezone.now()
    last = LogEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    due = list(
        LogStream.objects.filter(status=LogStreamStatus.ACTIVE, cursor__lt=last)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for stream_id in due:
            _wake(stream_id)
    return len(due)
