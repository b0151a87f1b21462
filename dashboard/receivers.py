"""The dashboard listens to logins: a login is a password entry for the re-auth window."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from dashboard.permissions import password_entered


@receiver(user_logged_in, dispatch_uid="dashboard.password_entered")
def _login_counts_as_password_entry(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and getattr(user, "is_staff", False) and hasattr(request, "session"):
        password_entered(request)
