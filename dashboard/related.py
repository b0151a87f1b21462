"""What the other apps know about a user, for the user's page (status only, never a token)."""

from __future__ import annotations

from typing import Any

from accounts.models import User


def tickets_for(user: User, limit: int = 10) -> list[Any]:
    """The user's most recent password-change tickets."""
    return []


def deliveries_for(user: User, limit: int = 10) -> list[Any]:
    """The most recent emails (outbox rows) addressed to the user."""
    return []
