"""The outbox's sending side: a worker's attempt, failure, retries, the sweep, provider feedback.

``emails.services.email_enqueue`` writes the row and wakes a worker; here the worker claims it
with a lease (``REKEY_TASK_LEASE_SECONDS``), sends it through ``EMAIL_BACKEND`` and records what
happened. ``outbox_sweep`` (run by ``manage.py rekey_sweep``) hands back any row whose lease ran
out or whose wake-up was lost, so a killed worker loses nothing. Claims are conditional UPDATEs,
so a row woken twice is still sent once.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.events import log_event
from accounts.models import LogType, User
from emails.models import DeliveryStatus, EmailDelivery
from emails.provider import email_provider_in_use, provider_backend
from emails.resilience import backoff_seconds, temporary
from emails.sealing import SealBroken, unseal
from emails.selectors import deliveries_retryable
from emails.services import delivery_wake, lease

logger = logging.getLogger(__name__)


def _error_text(exc: BaseException) -> str:
    # The class (and SMTP code): messages may quote an address or a provider's secret.
    text = type(exc).__name__
    code = getattr(exc, "smtp_code", None)
    if code is None and isinstance(getattr(exc, "recipients", None), dict) and exc.recipients:  # type: ignore[attr-defined]
        code = min(c for c, _m in exc.recipients.values())  # type: ignore[attr-defined]
    if code is None:
        code = getattr(exc, "status_code", None)
        if code is not None:
            return f"{text} (HTTP {code})"[:500]
    if code is not None:
        text += f" (SMTP {code})"
    return text[:500]


_mailer = threading.local()
# A dropped idle connection shows up as one of these on the next send: reconnect, send once more.
_STALE_CONNECTION = (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError)


def _mailer_close() -> None:
    cached = getattr(_mailer, "cached", None)
    _mailer.cached = None
    if cached is not None:
        with contextlib.suppress(Exception):
            cached[1].close()


def _send(message: EmailMultiAlternatives, *, retried: bool = False) -> None:
    """Send through the tenant's email provider when one is enabled, else the default mailer
    (EMAIL_BACKEND), reusing this thread's SMTP connection.

    Opening an SMTP connection (and TLS, and AUTH) costs more than sending one message, so a
    worker keeps its connection for up to REKEY_SMTP_REUSE_SECONDS. Other backends are used
    as Django uses them. A change of the provider (its row's update time) opens a new one.
    """
    provider = email_provider_in_use()
    if provider is not None:
        config = f"provider:{provider.pk}:{provider.updated_at.isoformat()}"
    else:
        config = repr(settings.MAILERS.get("default"))
    cached = getattr(_mailer, "cached", None)
    now = time.monotonic()
    if cached is not None and (
        cached[0] != config or now - cached[2] > settings.REKEY_SMTP_REUSE_SECONDS
    ):
        _mailer_close()
        cached = None
    if cached is None:
        backend = provider_backend(provider) if provider is not None else mailers.default
        if not isinstance(backend, SMTPBackend):
            backend.send_messages([message])
            return
        backend.open()
        cached = _mailer.cached = (config, backend, now)
        fresh = True
    else:
        fresh = False
    try:
        cached[1].send_messages([message])
    except Exception as exc:
        _mailer_close()
        if not fresh and not retried and isinstance(exc, _STALE_CONNECTION):
            _send(message, retried=True)
            return
        raise


def message_id_for(delivery: EmailDelivery) -> str:
    """The Message-ID of a delivery: the same on every attempt, so a resend can be recognised."""
    domain = parseaddr(delivery.from_address or settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    domain = domain or urlsplit(settings.PUBLIC_URL).hostname or "rekey.invalid"
    stamp = int(delivery.created_at.timestamp() * 1_000_000)
    return f"<rekey.{delivery.pk}.{stamp}@{domain}>"


def delivery_attempt(*, delivery_id: int) -> str:
    """Try one delivery of a queued outbox row; returns its status afterwards."""
    now = timezone.now()
    claimed = EmailDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1)),
        pk=delivery_id,
        status=DeliveryStatus.QUEUED,
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
    if not claimed:
        # Already sent, failed for good, taken by another worker, or woken too early.
        return "skipped"
    delivery = EmailDelivery.objects.select_related("user").get(pk=delivery_id)
    message_id = delivery.message_id or message_id_for(delivery)
    try:
        bodies = _message_copy(delivery)
        message = EmailMultiAlternatives(
            subject=bodies.get("subject", delivery.subject),
            body=bodies["text"],
            from_email=delivery.from_address,
            to=[delivery.to],
            headers={"Message-ID": message_id},
        )
        if bodies["html"]:
            message.attach_alternative(bodies["html"], "text/html")
        _send(message)
    except Exception as exc:
        return _delivery_failed(delivery, exc, message_id=message_id)
    status = getattr(message, "anymail_status", None)
    sent_at = timezone.now()
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT,
        sent_at=sent_at,
        sealed="",
        last_error="",
        next_attempt_at=None,
        message_id=message_id,
        provider_message_id=str(getattr(status, "message_id", "") or "")[:255],
        updated_at=sent_at,
    )
    return DeliveryStatus.SENT


def _message_copy(delivery: EmailDelivery) -> dict[str, str]:
    """The message to send: the sealed copy when it carries a secret, else the stored one."""
    if delivery.sealed:
        return unseal(delivery.sealed)
    if delivery.has_secret:
        # Cleared after a final failure: the stored copy holds a placeholder, not the link.
        raise SealBroken("the sealed copy was cleared; a new link is needed")
    return {"subject": delivery.subject, "text": delivery.text_body, "html": delivery.html_body}


def _delivery_failed(delivery: EmailDelivery, exc: Exception, *, message_id: str) -> str:
    error = _error_text(exc)
    permanent = not temporary(exc)
    logger.warning(
        "email delivery pk=%s attempt %s failed (%s): %s",
        delivery.pk,
        delivery.attempts,
        "permanent" if permanent else "temporary",
        error,
    )
    now = timezone.now()
    with transaction.atomic():
        if not permanent and delivery.attempts < settings.REKEY_EMAIL_MAX_ATTEMPTS:
            next_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
            EmailDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.QUEUED,
                last_error=error,
                next_attempt_at=next_at,
                message_id=message_id,
                updated_at=now,
            )
            delivery_wake(delivery_id=delivery.pk, run_after=next_at)
            return DeliveryStatus.QUEUED
        delivery_fail(delivery=delivery, error=error, message_id=message_id)
    return DeliveryStatus.FAILED


def delivery_fail(*, delivery: EmailDelivery, error: str, message_id: str = "") -> None:
    """End a delivery as failed and log ``fn`` (the error's class and code, never the address)."""
    now = timezone.now()
    with transaction.atomic():
        EmailDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED,
            last_error=error,
            next_attempt_at=None,
            sealed="",  # failed for good: the database keeps no live link
            message_id=message_id or delivery.message_id,
            updated_at=now,
        )
        log_event(
            type=LogType.FAILED_NOTIFICATION,
            description=f"Failed to send email ({delivery.template_name or 'email'}): {error}",
            user=delivery.user,
            details={
                "delivery_id": delivery.pk,
                "template": delivery.template_name,
                "attempts": delivery.attempts,
                "error": error,
            },
        )


def delivery_retry(*, delivery: EmailDelivery, actor: User | None = None) -> EmailDelivery:
    """Queue a failed (or stale sending) delivery again for a fresh round of attempts."""
    deliveries_retry(ids=[delivery.pk], actor=actor)
    delivery.refresh_from_db()
    return delivery


def deliveries_retry(*, ids: Iterable[int], actor: User | None = None) -> int:
    """Queue failed and stale ``sending`` deliveries again (the dashboard's bulk retry)."""
    now = timezone.now()
    with transaction.atomic():
        pks = list(
            deliveries_retryable()
            .select_for_update()
            .filter(pk__in=list(ids))
            .values_list("pk", flat=True)
        )
        EmailDelivery.objects.filter(pk__in=pks).update(
            status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=None, updated_at=now
        )
        for pk in pks:
            delivery_wake(delivery_id=pk)
    return len(pks)


def outbox_sweep() -> dict[str, int]:
    """Hand back deliveries whose worker died (lease run out) or whose wake-up was lost.

    A ``sending`` row past its lease goes back to ``queued`` (or ``failed`` with ``fn`` when
    it has had all its attempts); a ``queued`` row due more than a lease ago is woken again.
    Idempotent: a row woken twice is claimed once.
    """
    now = timezone.now()
    stale = now - lease()
    counts = {"requeued": 0, "rewoken": 0, "failed": 0}
    with transaction.atomic():
        stalled = list(
            EmailDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(status=DeliveryStatus.SENDING, updated_at__lt=stale)[:500]
        )
        for delivery in stalled:
            if delivery.attempts >= settings.REKEY_EMAIL_MAX_ATTEMPTS:
                delivery_fail(delivery=delivery, error="LeaseExpired", message_id="")
                counts["failed"] += 1
                continue
            EmailDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.QUEUED,
                last_error="LeaseExpired",
                next_attempt_at=None,
                updated_at=now,
            )
            delivery_wake(delivery_id=delivery.pk)
            counts["requeued"] += 1
        lost = list(
            EmailDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.QUEUED, updated_at__lt=stale)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=stale))
            .values_list("pk", flat=True)[:500]
        )
        if lost:
            # Touched, so that the next sweep waits a lease before waking them again.
            EmailDelivery.objects.filter(pk__in=lost).update(updated_at=now)
        for pk in lost:
            delivery_wake(delivery_id=pk)
        counts["rewoken"] = len(lost)
    if any(counts.values()):
        logger.warning(
            "outbox sweep: %(requeued)s stalled deliveries queued again, %(rewoken)s woken "
            "again, %(failed)s failed for good",
            counts,
        )
    return counts


# Provider feedback that matters enough to keep on the row (opens and clicks do not).
FEEDBACK_EVENTS = {"delivered", "deferred", "bounced", "complained", "rejected", "failed"}
# Events that tell a person something went wrong: logged as "fn" and shown on their page.
BAD_FEEDBACK = {"bounced", "complained", "rejected", "failed"}


def delivery_feedback_record(
    *,
    message_id: str,
    event_type: str,
    timestamp: datetime | None = None,
    reason: str = "",
) -> EmailDelivery | None:
    """Record a provider's tracking event on the delivery it names (by its id or Message-ID).

    The newest event wins; a bounce, complaint or rejection is logged ``fn`` (with the reason
    code, never the address). None when no delivery matches.
    """
    if event_type not in FEEDBACK_EVENTS or not message_id:
        return None
    when = timestamp or timezone.now()
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(Q(provider_message_id=message_id) | Q(message_id=message_id))
            .order_by("-created_at")
            .first()
        )
        if delivery is None:
            return None
        if delivery.feedback_at and delivery.feedback_at > when:
            return delivery  # an older event arriving late
        EmailDelivery.objects.filter(pk=delivery.pk).update(
            feedback=event_type, feedback_at=when, updated_at=timezone.now()
        )
        delivery.feedback, delivery.feedback_at = event_type, when
        if event_type in BAD_FEEDBACK:
            logger.warning(
                "email delivery pk=%s: the provider reports it %s (%s)",
                delivery.pk,
                event_type,
                reason or "no reason given",
            )
            log_event(
                type=LogType.FAILED_NOTIFICATION,
                description=f"Email {event_type} ({delivery.template_name or 'email'})",
                user=delivery.user,
                details={
                    "delivery_id": delivery.pk,
                    "template": delivery.template_name,
                    "event": event_type,
                    "reason": reason[:100],
                },
            )
    return delivery
