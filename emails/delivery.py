"""The outbox's sending side: a worker's attempt, failure, retries, the sweep, provider feedback.

``emails.services.email_enqueue`` writes the row and wakes a worker; here the worker claims it
with a lease (``REKEY_TASK_LEASE_SECONDS``), sends it through ``EMAIL_BACKEND`` and records what
happened. ``outbox_sweep`` (run by ``manage.py rekey_sweep``) hands back any row whose lease ran
out or whose wake-up was lost, so a killed worker loses nothing. Claims are conditional UPDATEs,
so a row woken twice is still sent once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.events import log_event
from accounts.memo import batch_memo
from accounts.models import LogType, User
from emails.models import DeliveryStatus, EmailDelivery
from emails.queue import tasks_in_database
from emails.resilience import backoff_seconds, temporary
from emails.sealing import SealBroken, unseal
from emails.selectors import deliveries_retryable
from emails.sending import (
    TICK_SECONDS,
    NotStarted,
    deliveries_claim,
    messages_send,
    send_budget,
)
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


def message_id_for(delivery: EmailDelivery) -> str:
    """The Message-ID of a delivery: the same on every attempt, so a resend can be recognised."""
    domain = parseaddr(delivery.from_address or settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    domain = domain or urlsplit(settings.PUBLIC_URL).hostname or "rekey.invalid"
    stamp = int(delivery.created_at.timestamp() * 1_000_000)
    return f"<rekey.{delivery.pk}.{stamp}@{domain}>"


def delivery_attempt(*, delivery_id: int | None) -> str:
    """Run one delivery task: send a batch of ready outbox rows; returns this row's status after.

    The batch (``REKEY_EMAIL_BATCH_SIZE`` rows, this one among them when it is ready) is claimed
    in one statement, sent over the worker's SMTP connections, and the sent rows recorded in one
    more; a failure is handled row by row (permanent: failed with ``fn``; temporary: queued
    again after its backoff). "skipped" when this row was not in the batch: already sent,
    failed for good, taken by another worker, or woken too early.
    """
    limit = max(1, settings.REKEY_EMAIL_BATCH_SIZE)
    if not tasks_in_database():
        from emails.engine import wake_taken
        from emails.services import DELIVERY_WAKE_KEY
        from emails.tasks import email_deliver

        wake_taken(email_deliver, key=DELIVERY_WAKE_KEY)
    claimed = deliveries_claim(now=timezone.now(), limit=limit)
    if not claimed:
        return "skipped"
    with batch_memo():  # the provider and the like, read once for the batch
        outcomes = deliveries_send(ids=claimed)
    if len(claimed) == limit and not tasks_in_database():
        delivery_wake(delivery_id=claimed[-1])  # more may be ready: wake another worker
    return outcomes.get(delivery_id, "skipped") if delivery_id else "sent"


def deliveries_send(*, ids: list[int]) -> dict[int, str]:
    """Send claimed (``sending``) deliveries and record each outcome; returns status by pk."""
    budget = send_budget()
    rows = list(EmailDelivery.objects.filter(pk__in=ids).order_by("created_at", "pk"))
    messages: list[EmailMultiAlternatives] = []
    outcomes: dict[int, str] = {}
    ready: list[EmailDelivery] = []
    for delivery in rows:
        delivery.message_id = delivery.message_id or message_id_for(delivery)
        try:
            messages.append(_message_build(delivery))
        except Exception as exc:  # the sealed copy does not open, or was cleared
            outcomes[delivery.pk] = _delivery_failed(delivery, exc, message_id=delivery.message_id)
            continue
        ready.append(delivery)
    unsent: list[int] = []
    recorder = _SentRecorder()
    for event in messages_send(messages, budget=budget):
        if event is not None:
            index, error = event
            delivery, message = ready[index], messages[index]
            if isinstance(error, NotStarted):
                unsent.append(delivery.pk)
                outcomes[delivery.pk] = DeliveryStatus.QUEUED
            elif error is not None:
                assert isinstance(error, Exception)
                outcomes[delivery.pk] = _delivery_failed(
                    delivery, error, message_id=delivery.message_id
                )
            else:
                recorder.add(delivery, message)
                outcomes[delivery.pk] = DeliveryStatus.SENT
        recorder.flush(due_only=True)
    recorder.flush()
    if unsent:
        _deliveries_hand_back(ids=unsent)
    return outcomes


class _SentRecorder:
    """Marks sent rows ``sent`` in one UPDATE every TICK_SECONDS or so, not one per email."""

    def __init__(self) -> None:
        self.rows: list[EmailDelivery] = []
        self.last = time.monotonic()

    def add(self, delivery: EmailDelivery, message: EmailMultiAlternatives) -> None:
        status = getattr(message, "anymail_status", None)
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = delivery.updated_at = timezone.now()
        delivery.sealed = delivery.last_error = ""
        delivery.next_attempt_at = None
        delivery.provider_message_id = str(getattr(status, "message_id", "") or "")[:255]
        self.rows.append(delivery)

    def flush(self, *, due_only: bool = False) -> None:
        now = time.monotonic()
        if not self.rows or (due_only and now - self.last < TICK_SECONDS):
            return
        _sent_record(self.rows)
        self.rows, self.last = [], now


# One statement for a batch of sent rows: the shared values once, the per-row ids from a VALUES
# list (Django's bulk_update builds a CASE per field and row, which cost more than the sending).
_SENT_SQL = (
    "WITH sent(id, message_id, provider_message_id, sent_at) AS (VALUES {rows}) "
    "UPDATE emails_emaildelivery SET status = %s, sealed = '', last_error = '', "
    "next_attempt_at = NULL, updated_at = sent.sent_at, sent_at = sent.sent_at, "
    "message_id = sent.message_id, provider_message_id = sent.provider_message_id "
    "FROM sent WHERE emails_emaildelivery.id = sent.id"
)


def _sent_record(rows: list[EmailDelivery]) -> None:
    cast = "CAST(%s AS timestamptz)" if connection.vendor == "postgresql" else "%s"
    values = ", ".join(f"(%s, %s, %s, {cast})" for _ in rows)
    params: list[Any] = []
    for row in rows:
        sent_at = connection.ops.adapt_datetimefield_value(row.sent_at)
        params += [row.pk, row.message_id, row.provider_message_id, sent_at]
    with connection.cursor() as cursor:
        cursor.execute(_SENT_SQL.format(rows=values), [*params, DeliveryStatus.SENT])


def _deliveries_hand_back(*, ids: list[int]) -> None:
    # Claimed but never tried (the batch ran out of time): queued again, the attempt undone.
    logger.warning("email delivery batch: %s deliveries handed back untried", len(ids))
    with transaction.atomic():
        EmailDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.QUEUED,
            attempts=F("attempts") - 1,
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        # One wake-up is enough: whichever task runs next claims them all as a batch.
        delivery_wake(delivery_id=ids[0])


def _message_build(delivery: EmailDelivery) -> EmailMultiAlternatives:
    bodies = _message_copy(delivery)
    message = EmailMultiAlternatives(
        subject=bodies.get("subject", delivery.subject),
        body=bodies["text"],
        from_email=delivery.from_address,
        to=[delivery.to],
        headers={"Message-ID": delivery.message_id},
    )
    if bodies["html"]:
        message.attach_alternative(bodies["html"], "text/html")
    return message


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
