"""Outgoing webhooks: endpoints, events written to an outbox, signed delivery with retries.

An event becomes one ``WebhookDelivery`` row per endpoint that wants it, in the transaction of
the log row it comes from, so it is delivered (or recorded as failed) however the process ends.
Each attempt is signed as Standard Webhooks specifies (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``) with the ``standardwebhooks`` library; during a secret rotation's overlap
both secrets sign. Payloads name the user and the door, never a password, a hash or a ticket.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.events import log_event
from accounts.memo import memoized
from accounts.models import LogType, User
from emails.queue import task_wake
from emails.resilience import backoff_seconds
from emails.sealing import seal, unseal
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookStatus
from webhooks.ssrf import UnsafeURL, url_check

logger = logging.getLogger(__name__)

USER_AGENT = "Rekey-Webhooks/1"


def _secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _sealed(secret: str) -> str:
    return seal({"secret": secret})


def _opened(sealed: str) -> str:
    return unseal(sealed)["secret"]


def _events_clean(events: list[str] | tuple[str, ...]) -> list[str]:
    known = set(WebhookEvent.values)
    unknown = sorted(set(events) - known)
    if unknown:
        raise ValueError(f"Unknown events: {', '.join(unknown)}")
    return sorted(set(events))


def _staff_log(
    description: str,
    endpoint: WebhookEndpoint,
    actor: User | None,
    request: HttpRequest | None,
    reason: str = "",
) -> None:
    log_event(
        type=LogType.SUCCESS_API_OPERATION,
        description=description,
        actor=actor,
        request=request,
        details={"webhook_endpoint": endpoint.pk, "url": endpoint.url},
        reason=reason,
    )


def endpoint_create(
    *,
    url: str,
    events: list[str] | tuple[str, ...] = (),
    description: str = "",
    enabled: bool = True,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it with its signing secret, which is shown this once."""
    url_check(url)
    secret = _secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url,
            events=_events_clean(events),
            description=description[:200],
            enabled=enabled,
            secret_sealed=_sealed(secret),
        )
        _staff_log("Create a webhook endpoint", endpoint, actor, request)
    return endpoint, secret


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | tuple[str, ...] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, events, description or whether it is enabled."""
    if url is not None:
        url_check(url)
        endpoint.url = url
    if events is not None:
        endpoint.events = _events_clean(events)
    if description is not None:
        endpoint.description = description[:200]
    if enabled is not None:
        endpoint.enabled = enabled
    with transaction.atomic():
        endpoint.save()
        _staff_log("Update a webhook endpoint", endpoint, actor, request)
    return endpoint


def endpoint_secret_rotate(
    *, endpoint: WebhookEndpoint, actor: User | None = None, request: HttpRequest | None = None
) -> str:
    """A new signing secret (shown this once); the old one keeps signing through the overlap."""
    secret = _secret_new()
    with transaction.atomic():
        endpoint.previous_secret_sealed = endpoint.secret_sealed
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(
            hours=settings.REKEY_WEBHOOK_SECRET_OVERLAP_HOURS
        )
        endpoint.secret_sealed = _sealed(secret)
        endpoint.save()
        _staff_log("Rotate a webhook endpoint's secret", endpoint, actor, request)
    return secret


def endpoint_delete(
    *, endpoint: WebhookEndpoint, actor: User | None = None, request: HttpRequest | None = None
) -> None:
    """Remove an endpoint and its deliveries."""
    with transaction.atomic():
        _staff_log("Delete a webhook endpoint", endpoint, actor, request)
        endpoint.delete()


def events_emit(*, event: WebhookEvent | str, data: dict[str, Any]) -> int:
    """Write one delivery per endpoint that wants ``event``; returns how many.

    Runs in the caller's transaction (the log row's): the deliveries commit with the event.
    """
    enabled = memoized(
        ("webhook_endpoints",), lambda: list(WebhookEndpoint.objects.filter(enabled=True))
    )
    endpoints = [e for e in enabled if e.wants(str(event))]
    if not endpoints:
        return 0
    payload = {"type": str(event), "timestamp": timezone.now().isoformat(), "data": data}
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=str(event), payload=payload) for e in endpoints]
    )
    for delivery in deliveries:
        _wake(delivery.pk)
    return len(deliveries)


def _wake(delivery_id: int, run_after: datetime | None = None) -> None:
    from webhooks.tasks import webhook_deliver

    task_wake(webhook_deliver, delivery_id, run_after=run_after, what=f"webhook {delivery_id}")


def signed_headers(
    *, endpoint: WebhookEndpoint, message_id: str, body: str, at: datetime
) -> dict[str, str]:
    """Standard Webhooks headers; both secrets sign while a rotation's overlap lasts."""
    sealed = [endpoint.secret_sealed]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed and expires is not None and expires > at:
        sealed.append(endpoint.previous_secret_sealed)
    signatures = [
        Webhook(_opened(s)).sign(msg_id=message_id, timestamp=at, data=body) for s in sealed
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def delivery_attempt(*, delivery_id: int) -> str:
    """Try one delivery of a queued webhook; returns its status afterwards."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1)),
        pk=delivery_id,
        status=WebhookStatus.QUEUED,
    ).update(status=WebhookStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
    if not claimed:
        return "skipped"  # sent, failed for good, taken by another worker, or woken too early
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    status_code: int | None = None
    permanent = False
    try:
        if not endpoint.enabled:
            raise UnsafeURL("The endpoint is disabled.")
        url_check(endpoint.url)
        response = requests.post(
            endpoint.url,
            data=body.encode(),
            headers=signed_headers(
                endpoint=endpoint, message_id=delivery.message_id, body=body, at=now
            ),
            timeout=settings.REKEY_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
        status_code = response.status_code
        response.close()
        error = "" if 200 <= status_code < 300 else f"HTTP {status_code}"
        if 300 <= status_code < 400:
            error += " (redirects are not followed)"
    except UnsafeURL as exc:
        error, permanent = str(exc), True
    except requests.RequestException as exc:
        error = type(exc).__name__
    if not error:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookStatus.SENT,
            sent_at=timezone.now(),
            response_status=status_code,
            last_error="",
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        return WebhookStatus.SENT
    return _delivery_failed(delivery, error, status_code=status_code, permanent=permanent)


def _delivery_failed(
    delivery: WebhookDelivery, error: str, *, status_code: int | None, permanent: bool
) -> str:
    logger.warning(
        "webhook delivery pk=%s attempt %s failed: %s", delivery.pk, delivery.attempts, error
    )
    now = timezone.now()
    with transaction.atomic():
        if not permanent and delivery.attempts < settings.REKEY_WEBHOOK_MAX_ATTEMPTS:
            next_at = now + timedelta(
                seconds=backoff_seconds(delivery.attempts, settings.REKEY_WEBHOOK_BACKOFF)
            )
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookStatus.QUEUED,
                response_status=status_code,
                last_error=error[:500],
                next_attempt_at=next_at,
                updated_at=now,
            )
            _wake(delivery.pk, run_after=next_at)
            return WebhookStatus.QUEUED
        _delivery_fail(delivery, error, status_code=status_code)
    return WebhookStatus.FAILED


def _delivery_fail(delivery: WebhookDelivery, error: str, *, status_code: int | None) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookStatus.FAILED,
        response_status=status_code,
        last_error=error[:500],
        next_attempt_at=None,
        updated_at=timezone.now(),
    )
    log_event(
        type=LogType.FAILED_NOTIFICATION,
        description=f"Failed to deliver webhook ({delivery.event}): {error}"[:500],
        details={
            "webhook_delivery": delivery.pk,
            "webhook_endpoint": delivery.endpoint_id,
            "attempts": delivery.attempts,
            "error": error[:200],
        },
    )


def delivery_retry(*, delivery: WebhookDelivery, actor: User | None = None) -> bool:
    """Queue a failed delivery again for a fresh round of attempts (same webhook-id)."""
    with transaction.atomic():
        again = WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookStatus.FAILED).update(
            status=WebhookStatus.QUEUED, attempts=0, next_attempt_at=None, updated_at=timezone.now()
        )
        if again:
            _wake(delivery.pk)
    return bool(again)


def deliveries_sweep() -> dict[str, int]:
    """Hand back deliveries whose worker died (lease run out) or whose wake-up was lost."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REKEY_TASK_LEASE_SECONDS)
    counts = {"requeued": 0, "rewoken": 0, "failed": 0}
    with transaction.atomic():
        stalled = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookStatus.SENDING, updated_at__lt=stale)
            .select_related("endpoint")[:500]
        )
        for delivery in stalled:
            if delivery.attempts >= settings.REKEY_WEBHOOK_MAX_ATTEMPTS:
                _delivery_fail(delivery, "LeaseExpired", status_code=None)
                counts["failed"] += 1
                continue
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookStatus.QUEUED,
                last_error="LeaseExpired",
                next_attempt_at=None,
                updated_at=now,
            )
            _wake(delivery.pk)
            counts["requeued"] += 1
        lost = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookStatus.QUEUED, updated_at__lt=stale)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=stale))
            .values_list("pk", flat=True)[:500]
        )
        WebhookDelivery.objects.filter(pk__in=lost).update(updated_at=now)
        for pk in lost:
            _wake(pk)
        counts["rewoken"] = len(lost)
    if any(counts.values()):
        logger.warning(
            "webhook sweep: %(requeued)s stalled deliveries queued again, %(rewoken)s woken "
            "again, %(failed)s failed for good",
            counts,
        )
    return counts
