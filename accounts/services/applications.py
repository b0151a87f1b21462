"""Writes on applications: secrets, settings and Management API grants."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from accounts.audit import Audit
from accounts.events import log_event
from accounts.models import (
    Application,
    AppType,
    ClientGrant,
    Connection,
    LogType,
)
from accounts.scopes import grant_cache_key


def client_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def application_secret_rotate(*, application: Application, audit: Audit) -> str:
    """Give the application a new client secret, logged; returns it (shown once, stored hashed)."""
    secret = secrets.token_urlsafe(48)
    with transaction.atomic():
        application.client_secret_hash = client_secret_hash(secret)
        application.save(update_fields=["client_secret_hash", "updated_at"])
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Rotate client secret",
            **_on(application, audit),
        )
    return secret


def _on(application: Application, audit: Audit) -> dict[str, Any]:
    """The log fields of a write on ``application``: the row names it as its application."""
    return audit.log_fields() | {"application": application}


def application_create(
    *,
    name: str,
    app_type: AppType | str,
    audit: Audit,
    allowed_origins: Iterable[str] = (),
    default_login_route: str = "",
    enabled_connections: Iterable[Connection] = (),
    language: str = "",
    callbacks: Iterable[str] = (),
    allowed_logout_urls: Iterable[str] = (),
    web_origins: Iterable[str] = (),
) -> tuple[Application, str]:
    """Create an application, logged ``sapi``; returns it and its client secret (shown once).

    Machine-to-machine and regular web applications get a secret, stored hashed; SPAs and
    native apps are public clients (PKCE only) and get none (the secret returned is empty).
    Grant types are left to Auth0's defaults for the type.
    """
    with transaction.atomic():
        application = Application(
            name=name,
            app_type=str(app_type),
            allowed_origins=list(allowed_origins),
            default_login_route=default_login_route,
            language=language,
            callbacks=list(callbacks),
            allowed_logout_urls=list(allowed_logout_urls),
            web_origins=list(web_origins),
        )
        secret = "" if application.is_public_client else secrets.token_urlsafe(48)
        application.client_secret_hash = client_secret_hash(secret) if secret else ""
        application.save()
        # The staff realm is never a tenant application's connection.
        connections = [c for c in enabled_connections if not c.is_staff_realm]
        application.enabled_connections.set(connections)
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Create application",
            **_on(application, audit),
            details={
                "name": name,
                "app_type": application.app_type,
                "allowed_origins": application.allowed_origins,
                "callbacks": application.callbacks,
                "enabled_connections": sorted(c.name for c in connections),
            },
        )
    return application, secret


def application_secret_check(*, application: Application, secret: str) -> bool:
    """Constant-time comparison of a presented client secret with the stored hash."""
    if not application.client_secret_hash:
        return False
    return secrets.compare_digest(client_secret_hash(secret), application.client_secret_hash)


def application_update(
    *,
    application: Application,
    audit: Audit,
    name: str,
    allowed_origins: list[str],
    default_login_route: str,
    enabled_connections: Iterable[Connection],
    language: str,
) -> Application:
    """Change an application's settings; logged as ``sapi`` with the acting staff user."""
    with transaction.atomic():
        application.name = name
        application.allowed_origins = list(allowed_origins)
        application.default_login_route = default_login_route
        application.language = language
        application.save()
        # The staff realm is never a tenant application's connection.
        connections = [c for c in enabled_connections if not c.is_staff_realm]
        application.enabled_connections.set(connections)
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update application",
            **_on(application, audit),
            details={
                "allowed_origins": application.allowed_origins,
                "default_login_route": default_login_route,
                "enabled_connections": sorted(c.name for c in connections),
                "language": language,
            },
        )
    return application


def grant_set(
    *,
    application: Application,
    audience: str,
    scopes: list[str] | None,
    audit: Audit,
) -> ClientGrant | None:
    """Grant the application these scopes on the audience, or remove its grant when None."""
    with transaction.atomic():
        if scopes is None:
            ClientGrant.objects.filter(application=application, audience=audience).delete()
            grant = None
        else:
            grant, _ = ClientGrant.objects.update_or_create(
                application=application, audience=audience, defaults={"scopes": sorted(scopes)}
            )
        # Tokens already issued are checked against the grant on each request (cached briefly):
        # forget it now, and again on commit in case a request re-read the old row meanwhile.
        key = grant_cache_key(application.client_id, audience)
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update client grant" if grant else "Delete client grant",
            **_on(application, audit),
            details={"audience": audience, "scopes": sorted(scopes or [])},
        )
    return grant


def application_sign_in_update(
    *,
    application: Application,
    audit: Audit,
    callbacks: list[str],
    allowed_logout_urls: list[str],
    web_origins: list[str],
    grant_types: list[str],
    refresh_token_rotation: str,
    refresh_token_lifetime: int,
    refresh_token_idle_lifetime: int,
) -> Application:
    """Change how users sign in to an application (Auth0's settings); logged as ``sapi``."""
    with transaction.atomic():
        application.callbacks = list(callbacks)
        application.allowed_logout_urls = list(allowed_logout_urls)
        application.web_origins = list(web_origins)
        application.grant_types = list(grant_types)
        application.refresh_token_rotation = refresh_token_rotation
        application.refresh_token_lifetime = refresh_token_lifetime
        application.refresh_token_idle_lifetime = refresh_token_idle_lifetime
        application.save()
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update application sign-in settings",
            **_on(application, audit),
            details={
                "callbacks": application.callbacks,
                "allowed_logout_urls": application.allowed_logout_urls,
                "web_origins": application.web_origins,
                "grant_types": application.grant_types,
                "refresh_token": {
                    "rotation_type": refresh_token_rotation,
                    "token_lifetime": refresh_token_lifetime,
                    "idle_token_lifetime": refresh_token_idle_lifetime,
                },
            },
        )
    return application
