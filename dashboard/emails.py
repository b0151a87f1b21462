"""Sample data and provider display for the email pages (reads only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import mailers

from accounts.models import User
from emails.models import DEFAULT_URL_LIFETIME, EmailTemplate
from emails.provider import PROVIDERS, email_provider_in_use
from emails.services import email_context

SAMPLE_TICKET = "SAMPLE-TICKET-not-a-real-one"


def sample_user() -> User:
    """An unsaved user with plausible fields, for previews and test sends."""
    return User(
        user_id="auth0|0123456789abcdef01234567",
        email="jane.doe@example.com",
        name="Jane Doe",
        given_name="Jane",
        family_name="Doe",
        nickname="jane",
        email_verified=True,
    )


def sample_context(template: EmailTemplate | None = None) -> dict[str, Any]:
    """The Liquid context a template gets, filled with sample data and a fake ticket link."""
    lifetime = (template.url_lifetime_in_seconds if template else 0) or DEFAULT_URL_LIFETIME
    return email_context(
        user=sample_user(),
        url=f"{settings.PUBLIC_URL}/u/reset-password?ticket={SAMPLE_TICKET}",
        url_lifetime_in_seconds=int(lifetime),
        url_lifetime_hours=int(lifetime // 3600),
    )


def provider_name() -> str:
    """What deliveries go through: the tenant's email provider while it is enabled, else
    EMAIL_BACKEND (Django 6.1's default mailer)."""
    provider = email_provider_in_use()
    if provider is not None:
        return f"{provider.name} ({PROVIDERS[provider.name].backend})"
    backend = type(mailers.default)
    return f"{backend.__module__}.{backend.__qualname__}"


def local_inbox_in_use() -> bool:
    return provider_name() == "emails.backends.LocalInboxBackend"
