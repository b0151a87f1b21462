"""Writes of the email app: the outbox, its delivery, retries; rendering lives in rendering.py.

Mail never leaves inside a web request: ``email_enqueue`` writes the outbox row and wakes a worker
(``bin/worker``) to send it. The row is the source of truth: a delivery is claimed with a lease
(``REKEY_TASK_LEASE_SECONDS``), and ``outbox_sweep`` (run by ``manage.py rekey_sweep``) hands
back any row whose lease ran out or whose wake-up was lost, so a killed worker loses nothing.
Claims are conditional UPDATEs, so a row woken twice is still sent once.
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
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.events import log_event
from accounts.models import Application, LogType, User
from accounts.selectors import tenant_email_context
from emails.models import DeliveryStatus, EmailDelivery, EmailTemplate
from emails.provider import default_from_address, email_provider_in_use, provider_backend
from emails.queue import tasks_in_database
from emails.rendering import (
    RenderedEmail,
    TemplateRenderError,
    TemplateTooLarge,
    liquid_render,
    render_deadline,
    template_render,
)
from emails.resilience import backoff_seconds, temporary
from emails.sealing import SealBroken, seal, unseal
from emails.selectors import deliveries_retryable, email_template_get
from emails.tasks import email_deliver

# The token of a link in the stored, shown copy of an email: never a working token (every
# token is far longer, and this one is stored nowhere).
LINK_PLACEHOLDER = "REDACTED"

logger = logging.getLogger(__name__)

FRIENDLY_NAME = "Rekey"


def email_enqueue(
    *,
    to: str,
    subject: str,
    text_body: str,
    html_body: str = "",
    from_address: str = "",
    template_name: str = "",
    language: str = "",
    user: User | None = None,
    display: RenderedEmail | None = None,
) -> EmailDelivery:
    """Write an outbox row and enqueue its delivery in the same transaction.

    A message that carries a secret (a ticket link) comes with ``display``: the same email
    rendered with a placeholder where the secret goes. Only that copy is stored in clear (and so
    shown in the dashboard); the message itself, subject included, is kept sealed (encrypted)
    until it is sent or fails for good, and then cleared.
    """
    shown = display or RenderedEmail(subject=subject, text=text_body, html=html_body)
    with transaction.atomic():
        delivery = EmailDelivery.objects.create(
            to=to,
            from_address=from_address or default_from_address(),
            subject=shown.subject[:255],
            text_body=shown.text,
            html_body=shown.html,
            sealed=(
                seal({"subject": subject[:255], "text": text_body, "html": html_body})
                if display is not None
                else ""
            ),
            has_secret=display is not None,
            template_name=template_name,
            language=language,
            user=user,
        )
        delivery_wake(delivery_id=delivery.pk)
    return delivery


def delivery_wake(*, delivery_id: int, run_after: datetime | None = None) -> None:
    """Enqueue the delivery task of an outbox row (after the commit when the queue is not the DB).

    With the database as queue the task row commits with the outbox row; with a broker the
    message goes out after the commit, so a worker never looks for a row not yet visible. A
    wake-up lost in between (a crash, a broker outage) is made good by ``outbox_sweep``.
    """
    task = email_deliver.using(run_after=run_after) if run_after else email_deliver
    if tasks_in_database():
        task.enqueue(delivery_id)
        return

    def wake() -> None:
        try:
            task.enqueue(delivery_id)
        except Exception as exc:
            logger.warning(
                "email delivery pk=%s: the task queue is unavailable (%s); the sweep will "
                "enqueue it again",
                delivery_id,
                type(exc).__name__,
            )

    transaction.on_commit(wake)


def email_context(
    *, user: User | None, application: Application | None = None, **extra: Any
) -> dict[str, Any]:
    """The Liquid context every template gets (Auth0's names: user, application, friendly_name)."""
    context: dict[str, Any] = {
        "friendly_name": FRIENDLY_NAME,
        **tenant_email_context(),
        "application": {},
        "user": {},
    }
    if user is not None:
        context["user"] = {
            "user_id": user.user_id,
            "email": user.email,
            "email_verified": user.email_verified,
            "name": user.name,
            "nickname": user.nickname,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "user_metadata": user.user_metadata or {},
            "app_metadata": user.app_metadata or {},
        }
    if application is not None:
        context["application"] = {"name": application.name, "clientID": application.client_id}
    context.update(extra)
    return context


def template_email_enqueue(
    *,
    name: str,
    user: User,
    language: str = "",
    application: Application | None = None,
    context: dict[str, Any] | None = None,
    display_context: dict[str, Any] | None = None,
    template: EmailTemplate | None = None,
) -> EmailDelivery | None:
    """Render a named template for a user (to the address stored for them) and enqueue it.

    ``display_context`` replaces the secrets of ``context`` (a ticket link) with placeholders:
    the template is rendered a second time with it, and that copy is the one stored and shown,
    so no Liquid filter can carry a secret into it. A template that does not render (within the
    rendering limits) is recorded as a failed delivery and logged ``fn``. None when the template
    is missing or disabled.
    """
    template = template or email_template_get(name=name, language=language)
    if template is None or not template.enabled:
        return None
    values = email_context(user=user, application=application, **(context or {}))
    try:
        with render_deadline():  # one time limit for both renderings
            rendered: RenderedEmail = template_render(template, values)
            display = (
                template_render(template, {**values, **display_context})
                if display_context is not None
                else None
            )
    except TemplateRenderError as exc:
        return _render_failed(template=template, user=user, error=exc)
    return email_enqueue(
        to=user.email,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        # Liquid in the sender as in the subject: "{{ application.name }} <no-reply@...>".
        from_address=rendered.from_address,
        template_name=template.name,
        language=template.language,
        user=user,
        display=display,
    )


def _render_failed(
    *, template: EmailTemplate, user: User, error: TemplateRenderError
) -> EmailDelivery:
    # The class of the cause only (LoopIterationLimitError, say): a message may quote a value
    # of the context, and the context holds the ticket link.
    reason = type(error.__cause__ or error).__name__
    now = timezone.now()
    with transaction.atomic():
        delivery = EmailDelivery.objects.create(
            to=user.email,
            from_address=template.from_address or default_from_address(),
            subject="",
            text_body="",
            status=DeliveryStatus.FAILED,
            last_error=f"Template not rendered ({reason})"[:500],
            template_name=template.name,
            language=template.language,
            user=user,
            updated_at=now,
        )
        log_event(
            type=LogType.FAILED_NOTIFICATION,
            description=f"Failed to send email ({template.name}): the template did not render",
            user=user,
            details={
                "delivery_id": delivery.pk,
                "template": template.name,
                "language": template.language,
                "error": reason,
            },
        )
    logger.warning(
        "email template %s (%s) did not render for delivery pk=%s: %s",
        template.name,
        template.language,
        delivery.pk,
        reason,
    )
    return delivery


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


def lease() -> timedelta:
    """How long a claimed delivery or task may run before it counts as lost with its worker."""
    return timedelta(seconds=settings.REKEY_TASK_LEASE_SECONDS)


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


class TemplateInvalid(Exception):
    """A template property that is not valid Liquid; ``prop`` names it."""

    def __init__(self, prop: str, error: Exception) -> None:
        too_large = isinstance(error, TemplateTooLarge)
        super().__init__(str(error) if too_large else f"Invalid Liquid template: {error}")
        self.prop = prop


def email_template_update(
    *,
    template: EmailTemplate,
    changes: dict[str, Any],
    actor: User | None = None,
    application: Application | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> EmailTemplate:
    """Change an email template's fields (subject and body must be valid Liquid); logs ``sapi``.

    Subject, sender and body are each at most TEMPLATE_MAX_BYTES and must render, within the
    rendering limits, with an empty context.

    The one writer of templates, for the dashboard's editor and the Management API's PATCH, PUT
    and POST (an unsaved ``template`` is created, logged as such).
    """
    creating = template._state.adding
    with render_deadline():
        for prop, autoescape in (("subject", False), ("from_address", False), ("body", True)):
            if prop in changes:
                try:
                    liquid_render(str(changes[prop]), {}, autoescape=autoescape)
                except TemplateRenderError as exc:
                    raise TemplateInvalid(prop, exc) from exc
    with transaction.atomic():
        for field, value in changes.items():
            setattr(template, field, value)
        template.save()
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Create email template" if creating else "Update email template",
            actor=actor,
            application=application,
            request=request,
            details={
                **(details or {}),
                "template": template.name,
                "language": template.language,
                "fields": sorted(changes),
            },
        )
    return template


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
