"""Tickets listen to accounts: any password change revokes the user's outstanding tickets."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.services import password_changed


@receiver(password_changed, dispatch_uid="tickets.revoke_on_password_change")
def revoke_tickets_on_password_change(sender: Any, user: Any, **kwargs: Any) -> None:
    from tickets.services import tickets_revoke

    tickets_revoke(user=user)
