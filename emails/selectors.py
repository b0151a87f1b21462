"""Reads on email templates, deliveries and the local inbox."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.memo import memoized
from emails.defaults import DEFAULTS
from emails.models import DeliveryStatus, EmailDelivery, EmailTemplate, InboxMessage


def email_template_get(*, name: str, language: str = "") -> EmailTemplate | None:
    """The template of that name in that language, else in English, else the built-in one."""
    wanted = (language or "en").split("-")[0].lower()

    def read() -> EmailTemplate | None:
        templates = {t.language: t for t in EmailTemplate.objects.filter(name=name)}
        found = templates.get(wanted) or templates.get("en") or next(iter(templates.values()), None)
        return found or _builtin_template(name=name, language=wanted)

    return memoized(("email_template", name, wanted), read)


def _builtin_template(*, name: str, language: str) -> EmailTemplate | None:
    builtin = {(n, lang): (subject, body) for n, lang, subject, body in DEFAULTS}
    for lang in (language, "en"):
        if (name, lang) in builtin:
            subject, body = builtin[(name, lang)]
            return EmailTemplate(name=name, language=lang, subject=subject, body=body)
    return None


def email_templates_list() -> QuerySet[EmailTemplate]:
    """Every template, by name then language."""
    return EmailTemplate.objects.order_by("name", "language")


def deliveries_list(*, status: DeliveryStatus | str | None = None) -> QuerySet[EmailDelivery]:
    """Outbox rows, newest first, optionally of one status."""
    qs = EmailDelivery.objects.select_related("user").order_by("-created_at", "-id")
    return qs.filter(status=status) if status else qs


def deliveries_retryable() -> QuerySet[EmailDelivery]:
    """Deliveries a retry may queue again: failed ones and ``sending`` ones past their lease
    (their worker died), but never one whose sealed link was cleared (it would send nothing)."""
    stale = timezone.now() - timedelta(seconds=settings.REKEY_TASK_LEASE_SECONDS)
    return EmailDelivery.objects.filter(
        Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.SENDING, updated_at__lt=stale)
    ).exclude(has_secret=True, sealed="")


def deliveries_retryable_ids(*, limit: int = 1000) -> list[int]:
    """The retryable deliveries' ids, oldest first (the dashboard's "retry all")."""
    return list(
        deliveries_retryable().order_by("created_at", "id").values_list("pk", flat=True)[:limit]
    )


def inbox_messages_list() -> QuerySet[InboxMessage]:
    """Messages in the local inbox, newest first."""
    return InboxMessage.objects.order_by("-created_at", "-id")


def email_provider_name() -> str:
    """The EMAIL_BACKEND in use, for display."""
    return str(settings.EMAIL_BACKEND)
