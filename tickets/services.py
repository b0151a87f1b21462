"""Issue and redeem password-change tickets; the forgot-password request.

A ticket is a 256-bit random token given once (in a link); only its SHA-256 is stored. Issuing a
ticket revokes the user's older ones (only the newest is valid); redeeming is a conditional UPDATE
in the transaction of ``password_set``, so of any number of parallel redeems exactly one wins.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.events import log_event
from accounts.memo import memoized
from accounts.models import Application, LogType, ResetMethod, User
from accounts.selectors import tenant_users
from accounts.services import Audit, Door, password_check, password_set_checked
from emails.models import (
    DEFAULT_URL_LIFETIME,
    DeliveryStatus,
    EmailDelivery,
    EmailTemplate,
    TemplateName,
)
from emails.selectors import email_template_get
from emails.services import LINK_PLACEHOLDER, template_email_enqueue
from tickets.models import (
    PasswordChangeTicket,
    TicketDoor,
    TicketRevokedReason,
    TicketStatus,
)

TOKEN_BYTES = 32
RESET_PATH = "/u/reset-password"


def token_hash(token: str) -> str:
    """The stored form of a ticket token."""
    return hashlib.sha256(token.encode()).hexdigest()


def ticket_url(token: str) -> str:
    """The link of a ticket, built from PUBLIC_URL only (never the request's Host)."""
    return f"{settings.PUBLIC_URL}{RESET_PATH}?ticket={token}"


# The ticket's door for the audit's: a reset's ticket is the self-service one.
TICKET_DOORS = {
    Door.RESET: TicketDoor.SELF_SERVICE,
    Door.API: TicketDoor.API,
    Door.DASHBOARD: TicketDoor.DASHBOARD,
    Door.COMMAND: TicketDoor.COMMAND,
}


def ticket_issue(
    *,
    user: User,
    audit: Audit,
    application: Application | None = None,
    result_url: str = "",
    ttl_seconds: int | None = None,
    mark_email_as_verified: bool = False,
    include_email_in_redirect: bool = False,
) -> tuple[PasswordChangeTicket, str]:
    """Issue a ticket to hand out as a link (API, dashboard, command), logged ``sapi`` once.

    Returns (ticket, token). The ticket's door is the audit's. ``application`` is the ticket's
    (its login route and language); the audit's is the Management API client that asked, for
    the log. A ticket mailed by a reset request is made by ``_ticket_create`` instead: that
    request's ``scpr`` row is its log.
    """
    door = TICKET_DOORS[audit.door]
    with transaction.atomic():
        ticket, token = _ticket_create(
            user=user,
            door=door,
            application=application,
            result_url=result_url,
            ttl_seconds=ttl_seconds,
            mark_email_as_verified=mark_email_as_verified,
            include_email_in_redirect=include_email_in_redirect,
            actor=audit.actor,
        )
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Create a password change ticket",
            user=user,
            details={
                "door": str(door),
                "ticket_id": ticket.pk,
                "expires_at": ticket.expires_at.isoformat(),
            },
            **(audit.log_fields() | {"application": audit.application or application}),
        )
    return ticket, token


def _ticket_create(
    *,
    user: User,
    door: TicketDoor | str,
    application: Application | None = None,
    result_url: str = "",
    ttl_seconds: int | None = None,
    mark_email_as_verified: bool = False,
    include_email_in_redirect: bool = False,
    actor: User | None = None,
    request_key: str | None = None,
    locked: bool = False,
) -> tuple[PasswordChangeTicket, str]:
    """Make a ticket for the user, revoking their older ones; returns (ticket, token).

    Its lifetime is ``ttl_seconds`` when given (API tickets), else the reset_email template's
    URL lifetime (five days by default). The user's row is locked for the revoke-then-create
    (``locked``: the caller's transaction locked it already), so that of any number of
    parallel issues exactly one ticket stays valid.
    """
    if not ttl_seconds:
        template = email_template_get(name=TemplateName.RESET_EMAIL, language=user.locale)
        ttl_seconds = template.url_lifetime_in_seconds if template else DEFAULT_URL_LIFETIME
    token = secrets.token_urlsafe(TOKEN_BYTES)
    # No savepoint (two round trips) inside a caller's transaction: nothing here is retried
    # on its own; a failure rolls back the whole of it.
    with transaction.atomic(savepoint=False):
        # Serialises issues for one user (READ COMMITTED would let two revokes miss each
        # other's new ticket); SQLite's IMMEDIATE transactions already serialise writers.
        if not locked:
            User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        now = timezone.now()  # after the lock: the valid ticket is the newest one
        tickets_revoke(user=user, reason=TicketRevokedReason.SUPERSEDED)
        ticket = PasswordChangeTicket.objects.create(
            user=user,
            token_hash=token_hash(token),
            door=str(door),
            application=application,
            created_by=actor,
            result_url=result_url,
            include_email_in_redirect=include_email_in_redirect,
            mark_email_as_verified=mark_email_as_verified,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
            request_key=request_key or None,
        )
    return ticket, token


def tickets_revoke(*, user: User, reason: TicketRevokedReason | str) -> int:
    """Revoke every outstanding ticket of the user, saying why; returns how many."""
    return PasswordChangeTicket.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), revoked_reason=str(reason))


# Doors through which someone other than the user sets their password.
_STAFF_DOORS = frozenset({Door.DASHBOARD, Door.API, Door.COMMAND, Door.IMPORT})
_ACCESS_REVOKED_REASONS = {
    "blocked": TicketRevokedReason.BLOCKED,
    "email_changed": TicketRevokedReason.EMAIL_CHANGED,
}


def revoked_reason_for_password_change(door: Door | str) -> TicketRevokedReason:
    """Why a password change through ``door`` revokes the user's links."""
    if door in _STAFF_DOORS:
        return TicketRevokedReason.PASSWORD_SET_BY_STAFF
    return TicketRevokedReason.PASSWORD_CHANGED


def revoked_reason_for_access_revoked(why: str) -> TicketRevokedReason:
    """Why a block or an email change (``user_access_revoked``'s ``why``) revokes the links."""
    return _ACCESS_REVOKED_REASONS.get(why, TicketRevokedReason.ACCESS_REVOKED)


class TicketProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    BLOCKED = "blocked"


TICKET_PROBLEM_MESSAGES = {
    TicketProblem.UNKNOWN: "This link is not valid.",
    TicketProblem.EXPIRED: "This link has expired.",
    TicketProblem.USED: "This link has already been used.",
    TicketProblem.REVOKED: "This link is no longer valid.",
    TicketProblem.BLOCKED: "This account is blocked.",
}
# A revoked link says why (for the log; the pages translate their own copy).
REVOKED_MESSAGES: dict[str, str] = {
    TicketRevokedReason.SUPERSEDED: "This link was replaced by a newer one.",
    TicketRevokedReason.PASSWORD_SET_BY_STAFF: (
        "This link was cancelled because your password was changed by an administrator."
    ),
    TicketRevokedReason.PASSWORD_CHANGED: (
        "This link was cancelled because your password was changed after it was sent."
    ),
    TicketRevokedReason.BLOCKED: "This link was cancelled because the account was blocked.",
    TicketRevokedReason.EMAIL_CHANGED: (
        "This link was cancelled because the account's email address was changed."
    ),
    TicketRevokedReason.ACCESS_REVOKED: "This link was cancelled.",
}


class TicketInvalid(Exception):
    """A ticket that cannot be used; ``ticket`` is None when the token matches none.

    ``revoked_reason`` is the ticket's when the problem is REVOKED (empty for a ticket revoked
    before reasons were kept).
    """

    def __init__(self, problem: TicketProblem, ticket: PasswordChangeTicket | None) -> None:
        self.problem = problem
        self.ticket = ticket
        self.revoked_reason = (
            ticket.revoked_reason if ticket is not None and problem == TicketProblem.REVOKED else ""
        )
        self.message = REVOKED_MESSAGES.get(self.revoked_reason, TICKET_PROBLEM_MESSAGES[problem])
        super().__init__(self.message)


def _problem(ticket: PasswordChangeTicket | None) -> TicketProblem | None:
    if ticket is None or ticket.user.is_staff or ticket.user.connection.is_staff_realm:
        # Staff never reset through a tenant's pages: their tickets are as good as unknown.
        return TicketProblem.UNKNOWN
    status = ticket.status
    if status != TicketStatus.VALID:
        return TicketProblem(status)
    if ticket.user.blocked:
        return TicketProblem.BLOCKED
    return None


def ticket_check(*, token: str) -> PasswordChangeTicket:
    """The valid ticket of a token, without using it (a GET, or a mail scanner, never burns it).

    Raises TicketInvalid.
    """
    ticket = None
    if isinstance(token, str) and 20 <= len(token) <= 100:
        ticket = (
            PasswordChangeTicket.objects.select_related("user", "user__connection", "application")
            .filter(token_hash=token_hash(token))
            .first()
        )
    if problem := _problem(ticket):
        raise TicketInvalid(problem, ticket)
    assert ticket is not None
    return ticket


def ticket_failure_log(*, error: TicketInvalid, request: HttpRequest | None = None) -> None:
    """Log ``fcp`` for a ticket that could not be used."""
    ticket = error.ticket
    log_event(
        type=LogType.FAILED_CHANGE_PASSWORD,
        description=error.message,
        user=ticket.user if ticket else None,
        application=ticket.application if ticket else None,
        request=request,
        details={
            "door": str(Door.RESET),
            "ticket": str(error.problem),
            **({"revoked_reason": error.revoked_reason} if error.revoked_reason else {}),
        },
    )


def ticket_redeem(
    *, token: str, password: str, request: HttpRequest | None = None
) -> PasswordChangeTicket:
    """Use a ticket to set the user's password: ``password_check``, then the claim and the write.

    The ticket is claimed by a conditional UPDATE in the same transaction as the change, so it
    is used exactly once; a refused password leaves it usable. Raises TicketInvalid or
    PasswordChangeError (both logged ``fcp``).
    """
    try:
        ticket = ticket_check(token=token)
    except TicketInvalid as error:
        ticket_failure_log(error=error, request=request)
        raise
    # The policy first, outside the claim's transaction: a refusal is logged fcp once, stays
    # logged, and leaves the ticket usable.
    audit = Audit.of(request, door=Door.RESET, application=ticket.application)
    details = {"ticket_door": ticket.door}
    checked = password_check(user=ticket.user, password=password, audit=audit, details=details)
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = PasswordChangeTicket.objects.filter(
                pk=ticket.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
            ).update(used_at=now)
            if claimed != 1:
                ticket.refresh_from_db()
                raise TicketInvalid(_problem(ticket) or TicketProblem.USED, ticket)
            ticket.used_at = now
            user = ticket.user
            password_set_checked(user=user, checked=checked, audit=audit, details=details)
            if ticket.mark_email_as_verified and not user.email_verified:
                user.email_verified = True
                user.save(update_fields=["email_verified", "updated_at"])
            template_email_enqueue(
                name=TemplateName.PASSWORD_CHANGED,
                user=user,
                language=user.locale or request_language(request),
                application=ticket.application,
            )
    except TicketInvalid as error:
        ticket_failure_log(error=error, request=request)
        raise
    return ticket


def request_language(request: HttpRequest | None) -> str:
    return getattr(request, "LANGUAGE_CODE", "") if request is not None else ""


def reset_email_enqueue(
    *,
    ticket: PasswordChangeTicket,
    token: str,
    language: str = "",
    template: EmailTemplate | None = None,
    requested_at: datetime | None = None,
) -> EmailDelivery | None:
    """Write the reset email of a ticket to the outbox (the link never stored in clear).

    The stored, shown copy is the template rendered with a placeholder link; the email itself
    stays sealed until sent. ``template``: the one the caller already read, if it did.
    """
    user = ticket.user
    url = ticket_url(token)
    lifetime = ticket.expires_at - ticket.created_at
    return template_email_enqueue(
        name=TemplateName.RESET_EMAIL,
        user=user,
        language=user.locale or language,
        application=ticket.application,
        context={
            "url": url,
            # Seconds for the ``duration`` filter ("5 days"); hours for templates written before.
            "url_lifetime_in_seconds": int(lifetime.total_seconds()),
            "url_lifetime_hours": int(lifetime.total_seconds() // 3600),
        },
        display_context={"url": ticket_url(LINK_PLACEHOLDER)},
        template=template,
        requested_at=requested_at,
    )


def reset_email_send(
    *,
    user_id: int | None,
    client_id: str = "",
    actor_id: int | None = None,
    door: str = TicketDoor.SELF_SERVICE,
    language: str = "",
    request_key: str = "",
    requested_at: datetime | None = None,
    user: User | None = None,
    guarded: bool = False,
    locked: bool = False,
) -> dict[str, Any]:
    """The last step of a forgot-password request: issue the ticket and enqueue the email.

    ``request_key`` (the task's id) makes a task run again after its worker died a no-op when
    its ticket and email were already committed (``guarded``: the caller's transaction holds
    the request's own guard, a broker request row it deleted, so no lookup is needed).
    ``user``: the one the caller already read (``locked``: and locked, in its transaction).
    The template is read once, for the ticket's lifetime and the email alike.
    """
    if user_id is None:
        return {"sent": False}
    if not guarded and request_key_done(request_key=request_key):
        return {"sent": True, "repeat": True}
    user = user or tenant_users().filter(pk=user_id).first()
    if user is None or user.blocked or not user.connection.is_database:
        return {"sent": False}
    application = application_memoized(client_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    by_code = user.connection.password_reset_method == ResetMethod.CODE
    name = TemplateName.RESET_EMAIL_BY_CODE if by_code else TemplateName.RESET_EMAIL
    template = email_template_get(name=name, language=user.locale or language)
    if by_code:
        ttl = settings.REKEY_RESET_CODE_LIFETIME
    else:
        ttl = template.url_lifetime_in_seconds if template else DEFAULT_URL_LIFETIME
    # No savepoint (two round trips) inside a caller's transaction: nothing here is retried
    # on its own; a failure rolls back the whole of it.
    with transaction.atomic(savepoint=False):
        ticket, token = _ticket_create(
            user=user,
            door=door,
            application=application,
            result_url=template.result_url if template else "",
            ttl_seconds=ttl,
            include_email_in_redirect=bool(template and template.include_email_in_redirect),
            actor=actor,
            request_key=request_key,
            locked=locked,
        )
        if by_code:
            from tickets.codes import reset_code_enqueue

            # The ticket's token is never given out: the code is exchanged for a fresh one.
            delivery = reset_code_enqueue(
                ticket=ticket, language=language, template=template, requested_at=requested_at
            )
        else:
            delivery = reset_email_enqueue(
                ticket=ticket,
                token=token,
                language=language,
                template=template,
                requested_at=requested_at,
            )
    sent = delivery is not None and delivery.status != DeliveryStatus.FAILED
    return {"sent": sent, "ticket_id": ticket.pk}


def application_memoized(client_id: str) -> Application | None:
    """The application of a client id (None for ""), read once per worker batch."""
    if not client_id:
        return None
    return memoized(
        ("application", client_id), lambda: Application.objects.filter(pk=client_id).first()
    )


def request_key_done(*, request_key: str) -> bool:
    """True when the task of that id already issued its ticket (and so wrote its email)."""
    if not request_key:
        return False
    return PasswordChangeTicket.objects.filter(request_key=request_key).exists()


def tickets_purge(*, retention_days: int | None = None) -> int:
    """Delete used, revoked and expired tickets older than the retention; returns how many."""
    days = settings.REKEY_TICKET_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now() - timedelta(days=days)
    from django.db.models import Q

    deleted, _ = PasswordChangeTicket.objects.filter(
        Q(used_at__lt=cutoff) | Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    ).delete()
    return deleted
