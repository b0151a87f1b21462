"""Tickets listen to accounts: a password change, a block or a new email revokes the user's
outstanding tickets, each with its reason."""

from __future__ import annotations

from typing import Any

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.services import password_changed, user_access_revoked


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
