"""Dashboard actions built on another app's service where that service writes no audit row.

``ticket_issue`` (tickets) records no log event of its own, because the self-service and API
callers log around it; a staff-made reset link must still appear in the log with its actor.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from accounts.events import log_event
from accounts.models import LogType, User
from emails.models import EmailTemplate
from emails.services import email_template_update
from tickets.models import PasswordChangeTicket, TicketDoor
from tickets.services import (
    ResetRequestOutcome,
    password_reset_request,
    ticket_issue,
    ticket_url,
)


def reset_link_generate(
    *, user: User, actor: User, request: HttpRequest | None = None, reason: str = ""
) -> tuple[PasswordChangeTicket, str]:
    """Issue a dashboard ticket for the user and log it; returns (ticket, URL) — show it once."""
    with transaction.atomic():
        ticket, token = ticket_issue(
            user=user, door=TicketDoor.DASHBOARD, actor=actor, request=request
        )
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Create password change ticket",
            user=user,
            actor=actor,
            request=request,
            details={"door": "dashboard", "ticket_id": ticket.pk},
            reason=reason,
        )
    return ticket, ticket_url(token)


def email_template_save(
    *,
    template: EmailTemplate,
    actor: User,
    request: HttpRequest | None = None,
    fields: dict[str, Any],
) -> EmailTemplate:
    """Save an edited email template, logged with the actor (``sapi``)."""
    return email_template_update(template=template, changes=fields, actor=actor, request=request)


def reset_email_send(
    *, user: User, actor: User, request: HttpRequest | None = None, reason: str = ""
) -> ResetRequestOutcome:
    """Send the self-service reset email to a user as staff, logging actor and reason.

    ``password_reset_request`` logs ``scpr``/``fcpr`` with the actor but has no reason; the
    staff member's reason goes in a ``sapi`` row written in the same transaction.
    """
    with transaction.atomic():
        outcome = password_reset_request(
            email=user.email,
            connection=user.connection,
            request=request,
            door=TicketDoor.DASHBOARD,
            actor=actor,
        )
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Send password reset email",
            user=user,
            actor=actor,
            request=request,
            details={"door": "dashboard", "sent": outcome.sent},
            reason=reason,
        )
    return outcome
