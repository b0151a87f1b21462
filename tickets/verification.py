"""Email verification: Auth0's verification ticket, its link, and the verify_email email.

A verification link is a ticket of its own kind (``EmailVerificationTicket``): it can never set
a password and does not revoke the user's reset link. Its token is 256 random bits, given once;
only its SHA-256 is stored, and the stored copy of the email holds a placeholder link.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.events import log_event
from accounts.jobs.models import Job, JobStatus, JobType
from accounts.models import Application, LogType, User
from emails.models import DEFAULT_URL_LIFETIME, EmailDelivery
from emails.selectors import email_template_get
from emails.services import LINK_PLACEHOLDER, template_email_enqueue
from tickets.models import EmailVerificationTicket
from tickets.services import TOKEN_BYTES, token_hash

VERIFY_PATH = "/u/email-verification"
VERIFY_EMAIL = "verify_email"
# Auth0's words; the page translates them, the log keeps them in English.
VERIFIED = gettext_noop("Your email was verified. You can continue using the application.")
NOT_VALID = gettext_noop("This link is not valid.")
USED = gettext_noop("This URL can be used only once")
REPLACED = gettext_noop("This link was replaced by a newer one.")
EXPIRED = gettext_noop("Access expired.")


class VerificationInvalid(Exception):
    """The link is unknown, used, replaced or expired (``message`` says which)."""

    def __init__(self, message: str, ticket: EmailVerificationTicket | None) -> None:
        super().__init__(message)
        self.message = message
        self.ticket = ticket


def verification_url(token: str) -> str:
    """The link of a verification ticket, built from PUBLIC_URL only."""
    return f"{settings.PUBLIC_URL}{VERIFY_PATH}?ticket={token}"


def verification_ticket_issue(
    *,
    user: User,
    application: Application | None = None,
    result_url: str = "",
    ttl_seconds: int | None = None,
    include_email_in_redirect: bool = False,
    caller: Application | None = None,
    request: HttpRequest | None = None,
    log: bool = True,
) -> tuple[EmailVerificationTicket, str]:
    """Issue a verification ticket (the user's older ones revoked); returns (ticket, token)."""
    if not ttl_seconds:
        template = email_template_get(name=VERIFY_EMAIL, language=user.locale)
        ttl_seconds = template.url_lifetime_in_seconds if template else DEFAULT_URL_LIFETIME
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        verification_tickets_revoke(user=user)
        ticket = EmailVerificationTicket.objects.create(
            user=user,
            token_hash=token_hash(token),
            application=application,
            result_url=result_url,
            include_email_in_redirect=include_email_in_redirect,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
        if log:
            log_event(
                type=LogType.SUCCESS_API_OPERATION,
                description="Create an email verification ticket",
                user=user,
                application=caller or application,
                request=request,
                details={"ticket_id": ticket.pk, "expires_at": ticket.expires_at.isoformat()},
            )
    return ticket, token


def verification_tickets_revoke(*, user: User) -> int:
    """Revoke every outstanding verification link of the user; returns how many."""
    return EmailVerificationTicket.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


def verification_email_enqueue(
    *,
    user: User,
    application: Application | None = None,
    caller: Application | None = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
    agent: str | None = None,
) -> EmailDelivery | None:
    """Send the verify_email template with a new link, through the outbox; logged ``svr``.

    ``ip``/``agent`` stand in for ``request`` when the caller has only those (a signal).

    The stored copy of the email is rendered with a placeholder link; the real one only
    reaches the sealed message the worker sends.
    """
    with transaction.atomic():
        ticket, token = verification_ticket_issue(
            user=user, application=application, caller=caller, request=request, log=False
        )
        lifetime = ticket.expires_at - ticket.created_at
        delivery = template_email_enqueue(
            name=VERIFY_EMAIL,
            user=user,
            language=user.locale,
            application=application,
            context={
                "url": verification_url(token),
                "url_lifetime_in_seconds": int(lifetime.total_seconds()),
                "url_lifetime_hours": int(lifetime.total_seconds() // 3600),
            },
            display_context={"url": verification_url(LINK_PLACEHOLDER)},
        )
        log_event(
            type=LogType.SUCCESS_VERIFICATION_EMAIL_REQUEST,
            description="Verification email sent" if delivery else "verify_email is disabled",
            user=user,
            application=caller or application,
            request=request,
            ip=ip,
            agent=agent,
            details={"ticket_id": ticket.pk, "delivery_id": delivery.pk if delivery else None},
        )
    return delivery


def email_verify(*, token: str, request: HttpRequest | None = None) -> EmailVerificationTicket:
    """Use a verification link: the user's email is verified, the link used (once).

    Raises VerificationInvalid (logged ``fv``).
    """
    ticket = None
    if isinstance(token, str) and 20 <= len(token) <= 100:
        ticket = (
            EmailVerificationTicket.objects.select_related("user", "user__connection")
            .filter(token_hash=token_hash(token))
            .first()
        )
    now = timezone.now()
    with transaction.atomic():
        claimed = 0
        if ticket is not None and not ticket.user.is_staff:
            claimed = EmailVerificationTicket.objects.filter(
                pk=ticket.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
            ).update(used_at=now)
        if claimed == 1:
            assert ticket is not None
            user = ticket.user
            if not user.email_verified:
                user.email_verified = True
                user.save(update_fields=["email_verified", "updated_at"])
            log_event(
                type=LogType.SUCCESS_VERIFICATION_EMAIL,
                description="Email verified",
                user=user,
                application=ticket.application,
                request=request,
            )
            return ticket
    error = VerificationInvalid(_problem(ticket, now), ticket)
    log_event(
        type=LogType.FAILED_VERIFICATION_EMAIL,
        description=error.message,
        user=ticket.user if ticket else None,
        application=ticket.application if ticket else None,
        request=request,
    )
    raise error


def _problem(ticket: EmailVerificationTicket | None, now: object) -> str:
    if ticket is None or ticket.user.is_staff:
        return NOT_VALID
    ticket.refresh_from_db()
    if ticket.used_at is not None:
        return USED
    if ticket.revoked_at is not None:
        return REPLACED
    return EXPIRED


def verification_email_job(
    *,
    user: User,
    application: Application | None = None,
    caller: Application | None = None,
    request: HttpRequest | None = None,
) -> Job:
    """Auth0's verification-email job: the email is in the outbox when the job is answered."""
    with transaction.atomic():
        verification_email_enqueue(
            user=user, application=application, caller=caller, request=request
        )
        return Job.objects.create(
            type=JobType.VERIFICATION_EMAIL,
            status=JobStatus.COMPLETED,
            connection=user.connection,
            application=caller,
        )
