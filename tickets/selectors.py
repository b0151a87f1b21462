"""Reads on password-change tickets."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from tickets.models import PasswordChangeTicket


def tickets_for_user(*, user: User) -> QuerySet[PasswordChangeTicket]:
    """The user's tickets, newest first (status is a property of each)."""
    return PasswordChangeTicket.objects.filter(user=user).select_related(
        "application", "created_by"
    )
