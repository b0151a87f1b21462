"""Writes of the email app: the outbox and the templates; sending lives in delivery.py,
rendering in rendering.py.

Mail never leaves inside a web request: ``email_enqueue`` writes the outbox row and wakes a worker
(``bin/worker``) to send it (``emails.delivery``). The row is the source of truth, so a killed
worker or a lost wake-up loses nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import Audit
from accounts.events import log_event
from accounts.models import Application, LogType, User
from accounts.selectors import tenant_email_context
from emails.models import DeliveryStatus, EmailDelivery, EmailTemplate
from emails.provider import default_from_address
from emails.queue import tasks_in_database
from emails.rendering import (
    RenderedEmail,
    TemplateRenderError,
    TemplateTooLarge,
    liquid_render,
    render_deadline,
    template_render,
)
from emails.sealing import seal
from emails.selectors import email_template_get
from emails.tasks import email_deliver

# The token of a link in the stored, shown copy of an email: never a working token (every
# token is far longer, and this one is stored nowhere).
LINK_PLACEHOLDER = "REDACTED"

logger = logging.getLogger(__name__)

FRIENDLY_NAME = "Rekey"
# With a broker, a ready delivery's wake-up is one job for however many rows are ready.
DELIVERY_WAKE_KEY = "deliveries"
DELIVERY_WAKE_TTL_SECONDS = 10


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
    requested_at: datetime | None = None,
) -> EmailDelivery:
    """Write an outbox row and enqueue its delivery in the same transaction.

    A message that carries a secret (a ticket link) comes with ``display``: the same email
    rendered with a placeholder where the secret goes. Only that copy is stored in clear (and so
    shown in the dashboard); the message itself, subject included, is kept sealed (encrypted)
    until it is sent or fails for good, and then cleared.
    """
    shown = display or RenderedEmail(subject=subject, text=text_body, html=html_body)
    # No savepoint (two round trips) inside a caller's transaction: nothing here is retried
    # on its own; a failure rolls back the whole of it.
    with transaction.atomic(savepoint=False):
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
            # When the request was accepted, if earlier (request-to-send latency, metrics).
            requested_at=requested_at,
        )
        delivery_wake(delivery_id=delivery.pk)
    return delivery


_sent_by_caller: ContextVar[bool] = ContextVar("rekey_deliveries_sent_by_caller", default=False)


@contextlib.contextmanager
def deliveries_sent_by_caller() -> Iterator[None]:
    """Within this block no outbox row wakes a worker: the caller sends what it wrote
    (``emails.delivery.delivery_attempt``) as soon as the block ends."""
    token = _sent_by_caller.set(True)
    try:
        yield
    finally:
        _sent_by_caller.reset(token)


def delivery_wake(*, delivery_id: int, run_after: datetime | None = None) -> None:
    """Enqueue the delivery task of an outbox row (after the commit when the queue is not the DB).

    With the database as queue the task row commits with the outbox row; with a broker the
    message goes out after the commit, so a worker never looks for a row not yet visible, and a
    ready row does not get a job of its own while a wake-up waits untaken (``wake_once``): the
    worker that takes it claims every ready row as a batch. A wake-up lost in between (a
    crash, a broker outage) is made good by ``outbox_sweep``.
    """
    task = email_deliver.using(run_after=run_after) if run_after else email_deliver
    if run_after is None and _sent_by_caller.get():
        return  # the caller sends it itself (a request batch); the sweep wakes it if not
    if tasks_in_database():
        task.enqueue(delivery_id)
        return

    def wake() -> None:
        from emails.engine import wake_once

        try:
            if run_after:
                task.enqueue(delivery_id)
            else:  # one job wakes a worker for every ready row: it claims them as a batch
                wake_once(email_deliver, key=DELIVERY_WAKE_KEY, ttl=DELIVERY_WAKE_TTL_SECONDS)
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
    requested_at: datetime | None = None,
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
        requested_at=requested_at,
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


def lease() -> timedelta:
    """How long a claimed delivery or task may run before it counts as lost with its worker."""
    return timedelta(seconds=settings.REKEY_TASK_LEASE_SECONDS)


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
    audit: Audit,
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
            **audit.log_fields(),
            details={
                **(details or {}),
                "template": template.name,
                "language": template.language,
                "fields": sorted(changes),
            },
        )
    return template
