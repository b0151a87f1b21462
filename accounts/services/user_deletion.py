"""Deleting a user (Auth0's DELETE /api/v2/users/{id})."""

from __future__ import annotations

from django.db import transaction

from accounts.audit import Audit
from accounts.events import log_event
from accounts.models import LogType, User
from accounts.services.sessions import sessions_delete
from accounts.services.users import user_access_revoked


def user_delete(*, user: User, audit: Audit) -> None:
    """Delete a user: their reset links are revoked and sessions end. Logs ``sdu``."""
    with transaction.atomic():
        user_access_revoked.send(sender=User, user=user, why="deleted")
        count = sessions_delete(user)
        # Written before the row goes: the event keeps the id and email as text.
        log_event(
            type=LogType.SUCCESS_USER_DELETION,
            description="Delete a User",
            user=user,
            details={"sessions": count},
            **audit.log_fields(),
        )
        user.delete()
