"""Writes of the email app: the outbox, its delivery, retries; rendering lives in rendering.py.

Mail never leaves inside a web request: ``email_enqueue`` writes the outbox row and enqueues the
delivery task in one transaction, and the worker (``manage.py db_worker``) sends it.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.events import log_event
from accounts.models import Application, LogType, User
from emails.models import DeliveryStatus, EmailDelivery, EmailTemplate
from emails.rendering import RenderedEmail, TemplateRenderError, liquid_render, template_render
from emails.sealing import seal, unseal
from emails.selectors import email_template_get
from emails.tasks import email_deliver

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
FRIENDLY_NAME = "Rekey"


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


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
    secrets: Iterable[str] = (),
) -> EmailDelivery:
    """Write an outbox row and enqueue its delivery in the same transaction.

    Every string in ``secrets`` (a ticket link, say) is replaced by ``[redacted]`` in the stored
    bodies; the bodies as they will be sent are kept encrypted until delivered.
    """
    secrets = [s for s in secrets if s]
    with transaction.atomic():
        delivery = EmailDelivery.objects.create(
            to=to,
            from_address=from_address or settings.DEFAULT_FROM_EMAIL,
            subject=subject[:255],
            text_body=_redact(text_body, secrets),
            html_body=_redact(html_body, secrets),
            sealed=seal({"text": text_body, "html": html_body}) if secrets else "",
            template_name=template_name,
            language=language,
            user=user,
        )
        email_deliver.enqueue(delivery.pk)
    return delivery


def email_context(
    *, user: User | None, application: Application | None = None, **extra: Any
) -> dict[str, Any]:
    """The Liquid context every template gets (Auth0's names: user, application, friendly_name)."""
    context: dict[str, Any] = {"friendly_name": FRIENDLY_NAME, "application": {}, "user": {}}
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
    secrets: Iterable[str] = (),
    template: EmailTemplate | None = None,
) -> EmailDelivery | None:
    """Render a named template for a user (to the address stored for them) and enqueue it.

    None when the template is missing or disabled.
    """
    template = template or email_template_get(name=name, language=language)
    if template is None or not template.enabled:
        return None
    rendered: RenderedEmail = template_render(
        template, email_context(user=user, application=application, **(context or {}))
    )
    return email_enqueue(
        to=user.email,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        from_address=template.from_address,
        template_name=template.name,
        language=template.language,
        user=user,
        secrets=secrets,
    )


def _error_text(exc: BaseException) -> str:
    # The class (and SMTP code) only: messages may quote an address or a provider's secret.
    text = type(exc).__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        text += f" (SMTP {exc.smtp_code})"
    return text[:500]


def _backoff(attempt: int) -> int:
    steps = settings.REKEY_EMAIL_BACKOFF or [60]
    return int(steps[min(attempt, len(steps)) - 1])


def delivery_attempt(*, delivery_id: int) -> str:
    """Try one delivery of a queued outbox row; returns its status afterwards."""
    claimed = EmailDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if not claimed:
        # Already sent, failed for good, or taken by another worker.
        return "skipped"
    delivery = EmailDelivery.objects.select_related("user", "user__connection").get(pk=delivery_id)
    try:
        bodies = (
            unseal(delivery.sealed)
            if delivery.sealed
            else {"text": delivery.text_body, "html": delivery.html_body}
        )
        message = EmailMultiAlternatives(
            subject=delivery.subject,
            body=bodies["text"],
            from_email=delivery.from_address,
            to=[delivery.to],
        )
        if bodies["html"]:
            message.attach_alternative(bodies["html"], "text/html")
        # The default mailer is EMAIL_BACKEND (settings turn it into Django 6.1's MAILERS).
        mailers.default.send_messages([message])
    except Exception as exc:
        return _delivery_failed(delivery, exc)
    status = getattr(message, "anymail_status", None)
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        sealed="",
        last_error="",
        next_attempt_at=None,
        provider_message_id=str(getattr(status, "message_id", "") or "")[:255],
        updated_at=timezone.now(),
    )
    return DeliveryStatus.SENT


def _delivery_failed(delivery: EmailDelivery, exc: Exception) -> str:
    error = _error_text(exc)
    logger.warning(
        "email delivery pk=%s attempt %s failed: %s", delivery.pk, delivery.attempts, error
    )
    now = timezone.now()
    with transaction.atomic():
        if delivery.attempts < settings.REKEY_EMAIL_MAX_ATTEMPTS:
            next_at = now + timedelta(seconds=_backoff(delivery.attempts))
            EmailDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.QUEUED,
                last_error=error,
                next_attempt_at=next_at,
                updated_at=now,
            )
            email_deliver.using(run_after=next_at).enqueue(delivery.pk)
            return DeliveryStatus.QUEUED
        EmailDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=error, next_attempt_at=None, updated_at=now
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
    return DeliveryStatus.FAILED


# A delivery still "sending" after this long lost its worker (killed mid-send).
STALE_SENDING = timedelta(minutes=15)


def delivery_retry(*, delivery: EmailDelivery, actor: User | None = None) -> EmailDelivery:
    """Queue a failed (or stuck sending) delivery again for a fresh round of attempts."""
    now = timezone.now()
    retryable = Q(status=DeliveryStatus.FAILED) | Q(
        status=DeliveryStatus.SENDING, updated_at__lt=now - STALE_SENDING
    )
    with transaction.atomic():
        updated = EmailDelivery.objects.filter(retryable, pk=delivery.pk).update(
            status=DeliveryStatus.QUEUED,
            attempts=0,
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        if updated:
            email_deliver.enqueue(delivery.pk)
    delivery.refresh_from_db()
    return delivery


class TemplateInvalid(Exception):
    """A template property that is not valid Liquid; ``prop`` names it."""

    def __init__(self, prop: str, error: Exception) -> None:
        super().__init__(f"Invalid Liquid template: {error}")
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

    The one writer of templates, for the dashboard's editor and the Management API's PATCH.
    """
    for prop, autoescape in (("subject", False), ("body", True)):
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
            description="Update email template",
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
