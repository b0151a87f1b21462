"""What the other apps know about a user, for the user's page (status only, never a token)."""

from __future__ import annotations

from accounts.models import User
from emails.models import EmailDelivery
from tickets.models import PasswordChangeTicket
from tickets.selectors import tickets_for_user


def tickets_for(user: User, limit: int = 10) -> list[PasswordChangeTicket]:
    """The user's most recent password-change tickets."""
    return list(tickets_for_user(user=user)[:limit])


def deliveries_for(user: User, limit: int = 10) -> list[EmailDelivery]:
    """The most recent emails (outbox rows) addressed to the user."""
    return list(EmailDelivery.objects.filter(user=user).order_by("-created_at", "-id")[:limit])
