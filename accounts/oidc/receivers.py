"""CORS for the browser-facing OIDC endpoints: an application's allowed web origins."""

from __future__ import annotations

from typing import Any

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver
from django.http import HttpRequest

OIDC_CORS_PATHS = ("/oauth/token", "/oauth/revoke", "/userinfo")


@receiver(check_request_enabled, dispatch_uid="accounts.oidc.cors_web_origins")
def cors_allow_web_origins(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    """SPAs call the token, revocation and userinfo endpoints from their allowed web origins."""
    if request.path not in OIDC_CORS_PATHS:
        return False
    origin = request.headers.get("Origin", "")
    if not origin:
        return False
    from accounts.models import Application

    # JSON containment differs between SQLite and PostgreSQL; the list of apps is short.
    return any(
        origin in (origins or [])
        for origins in Application.objects.values_list("web_origins", flat=True)
    )
