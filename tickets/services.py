"""Issue and redeem password-change tickets; the forgot-password request.

A ticket is a 256-bit random token given once (in a link); only its SHA-256 is stored. Issuing a
ticket revokes the user's older ones (only the newest is valid); redeeming is a conditional UPDATE
in the transaction of ``password_set``, so of any number of parallel redeems exactly one wins.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import ratelimit
from accounts.events import client_ip, log_event, user_agent
from accounts.models import Application, Connection, LogType, User, email_key
from accounts.services import Door, PasswordChangeError, password_set
from emails.models import DEFAULT_URL_LIFETIME, EmailDelivery, TemplateName
from emails.selectors import email_template_get
from emails.services import template_email_enqueue
from tickets.models import PasswordChangeTicket, TicketDoor, TicketStatus

TOKEN_BYTES = 32
RESET_PATH = "/u/reset-password"


def token_hash(token: str) -> str:
    """The stored form of a ticket token."""
    return hashlib.sha256(token.encode()).hexdigest()


def ticket_url(token: str) -> str:
    """The link of a ticket, built from PUBLIC_URL only (never the request's Host)."""
    return f"{settings.PUBLIC_URL}{RESET_PATH}?ticket={token}"


def ticket_issue(
    *,
    user: User,
    door: TicketDoor | str,
    application: Application | None = None,
    result_url: str = "",
    ttl_seconds: int | None = None,
    mark_email_as_verified: bool = False,
    include_email_in_redirect: bool = False,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> tuple[PasswordChangeTicket, str]:
    """Issue a ticket for the user, revoking their older ones; returns (ticket, token).

    Its lifetime is ``ttl_seconds`` when given (API tickets), else the reset_email template's
    URL lifetime (five days by default).
    """
    if not ttl_seconds:
        template = email_template_get(name=TemplateName.RESET_EMAIL, language=user.locale)
        ttl_seconds = template.url_lifetime_in_seconds if template else DEFAULT_URL_LIFETIME
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        tickets_revoke(user=user)
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
        )
    return ticket, token


def tickets_revoke(*, user: User) -> int:
    """Revoke every outstanding ticket of the user; returns how many."""
    return PasswordChangeTicket.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


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
    TicketProblem.REVOKED: "This link was replaced by a newer one.",
    TicketProblem.BLOCKED: "This account is blocked.",
}


class TicketInvalid(Exception):
    """A ticket that cannot be used; ``ticket`` is None when the token matches none."""

    def __init__(self, problem: TicketProblem, ticket: PasswordChangeTicket | None) -> None:
        super().__init__(TICKET_PROBLEM_MESSAGES[problem])
        self.problem = problem
        self.ticket = ticket
        self.message = TICKET_PROBLEM_MESSAGES[problem]


def _problem(ticket: PasswordChangeTicket | None) -> TicketProblem | None:
    if ticket is None:
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
        details={"door": str(Door.RESET), "ticket": str(error.problem)},
    )


def ticket_redeem(
    *, token: str, password: str, request: HttpRequest | None = None
) -> PasswordChangeTicket:
    """Use a ticket to set the user's password through ``password_set`` (door RESET).

    The ticket is claimed by a conditional UPDATE in the same transaction as the change, so it
    is used exactly once; a refused password leaves it usable. Raises TicketInvalid or
    PasswordChangeError (both logged ``fcp``).
    """
    try:
        ticket = ticket_check(token=token)
    except TicketInvalid as error:
        ticket_failure_log(error=error, request=request)
        raise
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
            password_set(
                user=user,
                password=password,
                door=Door.RESET,
                application=ticket.application,
                request=request,
                details={"ticket_door": ticket.door},
            )
            if ticket.mark_email_as_verified and not user.email_verified:
                user.email_verified = True
                user.save(update_fields=["email_verified", "updated_at"])
            template_email_enqueue(
                name=TemplateName.PASSWORD_CHANGED,
                user=user,
                language=user.locale or _request_language(request),
                application=ticket.application,
            )
    except TicketInvalid as error:
        ticket_failure_log(error=error, request=request)
        raise
    except PasswordChangeError as error:
        # password_set logged fcp, but inside the transaction that the refusal rolled back.
        log_event(
            type=LogType.FAILED_CHANGE_PASSWORD,
            description=error.message,
            user=ticket.user,
            application=ticket.application,
            request=request,
            details={
                "door": str(Door.RESET),
                "ticket_door": ticket.door,
                "rules": [f.code for f in error.failures],
            },
        )
        raise
    return ticket


def _request_language(request: HttpRequest | None) -> str:
    return getattr(request, "LANGUAGE_CODE", "") if request is not None else ""


def reset_email_enqueue(
    *,
    ticket: PasswordChangeTicket,
    token: str,
    language: str = "",
) -> EmailDelivery | None:
    """Write the reset email of a ticket to the outbox (the link never stored in clear)."""
    user = ticket.user
    url = ticket_url(token)
    lifetime = ticket.expires_at - ticket.created_at
    return template_email_enqueue(
        name=TemplateName.RESET_EMAIL,
        user=user,
        language=user.locale or language,
        application=ticket.application,
        context={"url": url, "url_lifetime_hours": int(lifetime.total_seconds() // 3600)},
        secrets=[url, token],
    )


@dataclass(frozen=True)
class ResetRequestOutcome:
    """What became of a forgot-password request (never shown to the requester)."""

    sent: bool
    reason: str


def password_reset_request_defer(
    *,
    email: str,
    connection: Connection,
    application: Application | None = None,
    request: HttpRequest | None = None,
    language: str = "",
) -> None:
    """The anonymous doors' forgot-password request (page, API): one enqueue, nothing more.

    The request neither looks the email up nor writes a log row: every email, a user's or
    nobody's, costs exactly one INSERT, so neither the answer, the work nor the time can tell
    whether an account exists. The worker runs ``password_reset_request`` with the caller's
    address and user agent (lookup, silent per-email limit, log, ticket, email).
    """
    from tickets.tasks import reset_request_receive

    reset_request_receive.enqueue(
        email=email[:254],
        connection_id=connection.pk,
        client_id=application.client_id if application else "",
        ip=client_ip(request),
        agent=user_agent(request),
        language=(
            language or _request_language(request) or (application.language if application else "")
        ),
    )


def password_reset_request(
    *,
    email: str,
    connection: Connection,
    application: Application | None = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
    agent: str | None = None,
    door: TicketDoor | str = TicketDoor.SELF_SERVICE,
    actor: User | None = None,
    language: str = "",
    fulfil_now: bool = False,
) -> ResetRequestOutcome:
    """The forgot-password request: the same work whether or not the email is a user's.

    Every path makes one user lookup, writes one log row (``scpr`` or ``fcpr``) and then either
    enqueues one task (staff doors, which show the outcome) or, in the worker
    (``fulfil_now``), issues the ticket and writes the email to the outbox. No password is
    hashed and nothing is sent here. Mail goes only to the address stored for the user, never
    to the one typed. ``ip``/``agent`` stand in for ``request`` in the worker.
    """
    from tickets.tasks import reset_request_process

    ip = ip if ip is not None else client_ip(request)
    key = email_key(email)
    user = (
        User.objects.select_related("connection")
        .filter(connection=connection, email_key=key)
        .first()
    )
    # Silent per IP + email limit (Auth0: burst 10, then 1 a minute): still the same answer.
    limited = not ratelimit.hit("change_password_email", ip=ip, key=key).allowed
    if user is None:
        reason = "User does not exist"
    elif not connection.is_database:
        reason = "Passwords of this connection are not kept here"
    elif user.blocked:
        reason = "User is blocked"
    elif limited:
        reason = "Too many password reset requests for this email"
    else:
        reason = ""
    language = (
        language or _request_language(request) or (application.language if application else "")
    )
    sent = not reason
    job: dict[str, Any] = {
        "user_id": user.pk if sent and user else None,
        "client_id": application.client_id if application else "",
        "actor_id": actor.pk if actor else None,
        "door": str(door),
        "language": language,
    }
    with transaction.atomic():
        log_event(
            type=(
                LogType.SUCCESS_CHANGE_PASSWORD_REQUEST
                if sent
                else LogType.FAILED_CHANGE_PASSWORD_REQUEST
            ),
            description=reason or "Change password request",
            user=user,
            user_name=email[:254],
            actor=actor,
            application=application,
            connection_name=connection.name,
            connection_id=connection.pk,
            request=request,
            ip=ip,
            agent=agent,
            details={"door": str(door)},
        )
        if fulfil_now:
            reset_request_fulfil(**job)
        else:
            reset_request_process.enqueue(**job)
    return ResetRequestOutcome(sent=sent, reason=reason)


def reset_request_fulfil(
    *,
    user_id: int | None,
    client_id: str = "",
    actor_id: int | None = None,
    door: str = TicketDoor.SELF_SERVICE,
    language: str = "",
) -> dict[str, Any]:
    """The worker's half of a forgot-password request: issue the ticket and enqueue the email."""
    if user_id is None:
        return {"sent": False}
    user = User.objects.select_related("connection").filter(pk=user_id).first()
    if user is None or user.blocked or not user.connection.is_database:
        return {"sent": False}
    application = Application.objects.filter(pk=client_id).first() if client_id else None
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    template = email_template_get(name=TemplateName.RESET_EMAIL, language=user.locale or language)
    with transaction.atomic():
        ticket, token = ticket_issue(
            user=user,
            door=door,
            application=application,
            result_url=template.result_url if template else "",
            include_email_in_redirect=bool(template and template.include_email_in_redirect),
            actor=actor,
        )
        delivery = reset_email_enqueue(ticket=ticket, token=token, language=language)
    return {"sent": delivery is not None, "ticket_id": ticket.pk}


def tickets_purge(*, retention_days: int | None = None) -> int:
    """Delete used, revoked and expired tickets older than the retention; returns how many."""
    days = settings.REKEY_TICKET_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now() - timedelta(days=days)
    from django.db.models import Q

    deleted, _ = PasswordChangeTicket.objects.filter(
        Q(used_at__lt=cutoff) | Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    ).delete()
    return deleted
