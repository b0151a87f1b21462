"""Tickets listen to accounts: a password change, a block or a new email revokes the user's
outstanding tickets, each with its reason."""

from __future__ import annotations

from typing import Any

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.services import password_changed, user_access_revoked, verification_email_requested


@receiver(password_changed, dispatch_uid="tickets.revoke_on_password_change")
def revoke_tickets_on_password_change(sender: Any, user: Any, door: Any, **kwargs: Any) -> None:
    """A password change: every outstanding link of the user dies, saying who changed it."""
    from tickets.services import revoked_reason_for_password_change, tickets_revoke

    tickets_revoke(user=user, reason=revoked_reason_for_password_change(door))


@receiver(user_access_revoked, dispatch_uid="tickets.revoke_on_access_revoked")
def revoke_tickets_on_access_revoked(sender: Any, user: Any, why: str = "", **kwargs: Any) -> None:
    """A new email or a block: every outstanding link of the user dies, saying why."""
    from tickets.services import revoked_reason_for_access_revoked, tickets_revoke

    tickets_revoke(user=user, reason=revoked_reason_for_access_revoked(why))


@receiver(user_access_revoked, dispatch_uid="tickets.revoke_verification_on_access_revoked")
def revoke_verification_tickets(sender: Any, user: Any, **kwargs: Any) -> None:
    """A new email or a block: a verification link sent before it must not verify anything."""
    from tickets.verification import verification_tickets_revoke

    verification_tickets_revoke(user=user)


@receiver(verification_email_requested, dispatch_uid="tickets.verification_email")
def send_verification_email(
    sender: Any, user: Any, application: Any, audit: Any = None, **kwargs: Any
) -> None:
    """POST /api/v2/users with ``verify_email: true``: the verify_email email, with its link,
    logged with the creating call's address and user agent."""
    from tickets.verification import verification_email_enqueue

    verification_email_enqueue(
        user=user,
        application=application,
        ip=audit.ip if audit else None,
        agent=audit.agent if audit else None,
    )


@receiver(check_request_enabled, dispatch_uid="tickets.cors_change_password")
def cors_allow_application_origins(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    """CORS for ``/dbconnections/``: exactly the origins the application allows, read per request.

    A preflight carries no body, so it is allowed for an origin some application allows; the
    POST itself (whose ``client_id`` names the application) only for that application's.
    """
    if not request.path.startswith("/dbconnections/"):
        return False
    origin = request.headers.get("Origin", "")
    if not origin:
        return False
    application = getattr(request, "rekey_application", None)
    if application is not None:
        return origin in (application.allowed_origins or [])
    from accounts.models import Application

    return any(
        origin in (origins or [])
        for origins in Application.objects.values_list("allowed_origins", flat=True)
    )
