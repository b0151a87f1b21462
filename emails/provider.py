"""The tenant's email provider: Auth0's provider names mapped onto Django and anymail backends.

When a provider is set and enabled, the delivery worker sends through it; otherwise through
EMAIL_BACKEND (settings.MAILERS). Its credentials are sealed at rest (emails.sealing) and never
answered back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.http import HttpRequest
from django.utils.module_loading import import_string

from accounts.events import log_event
from accounts.memo import memoized
from accounts.models import Application, LogType
from emails.models import EmailProvider
from emails.sealing import seal, unseal


@dataclass(frozen=True)
class ProviderKind:
    backend: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


# Auth0's names and credential keys; postmark is anymail's, which Auth0 lacks.
PROVIDERS: dict[str, ProviderKind] = {
    "smtp": ProviderKind(
        "django.core.mail.backends.smtp.EmailBackend",
        ("smtp_host", "smtp_port"),
        ("smtp_user", "smtp_pass"),
    ),
    "mailgun": ProviderKind(
        "anymail.backends.mailgun.EmailBackend", ("api_key", "domain"), ("region",)
    ),
    "sendgrid": ProviderKind("anymail.backends.sendgrid.EmailBackend", ("api_key",)),
    "ses": ProviderKind(
        "anymail.backends.amazon_ses.EmailBackend",
        ("accessKeyId", "secretAccessKey", "region"),
    ),
    "postmark": ProviderKind("anymail.backends.postmark.EmailBackend", ("api_key",)),
    "sparkpost": ProviderKind("anymail.backends.sparkpost.EmailBackend", ("api_key",), ("region",)),
    "mandrill": ProviderKind("anymail.backends.mandrill.EmailBackend", ("api_key",)),
}


class ProviderInvalid(Exception):
    """The provider's name or credentials are not ones Rekey can send with."""


def credentials_check(name: str, credentials: dict[str, Any]) -> dict[str, Any]:
    """The credentials a provider of that name needs, checked (ProviderInvalid otherwise)."""
    kind = PROVIDERS.get(name)
    if kind is None:
        raise ProviderInvalid(
            f"The email provider {name!r} is not supported ({', '.join(sorted(PROVIDERS))})."
        )
    missing = [key for key in kind.required if credentials.get(key) in (None, "")]
    if missing:
        raise ProviderInvalid(f"Missing credentials for {name}: {', '.join(missing)}.")
    unknown = sorted(set(credentials) - set(kind.required) - set(kind.optional))
    if unknown:
        raise ProviderInvalid(f"Unknown credentials for {name}: {', '.join(unknown)}.")
    return credentials


def email_provider_get() -> EmailProvider | None:
    return EmailProvider.objects.order_by("pk").first()


def email_provider_in_use() -> EmailProvider | None:
    """The provider the worker sends through: set and enabled, else None (EMAIL_BACKEND)."""
    provider = memoized(("email_provider",), email_provider_get)
    return provider if provider is not None and provider.enabled else None


def default_from_address() -> str:
    """The sender of an email whose template names none."""
    provider = email_provider_in_use()
    if provider is not None and provider.default_from_address:
        return provider.default_from_address
    return settings.DEFAULT_FROM_EMAIL


def email_provider_set(
    *,
    name: str | None = None,
    credentials: dict[str, Any] | None = None,
    enabled: bool | None = None,
    default_from_address: str | None = None,
    provider_settings: dict[str, Any] | None = None,
    application: Application | None = None,
    request: HttpRequest | None = None,
) -> EmailProvider:
    """Create or change the provider; a new name needs its credentials. Logs ``sapi``."""
    with transaction.atomic():
        provider = EmailProvider.objects.select_for_update().order_by("pk").first()
        creating = provider is None
        provider = provider or EmailProvider()
        kept = {} if creating else provider_credentials(provider)
        if name is not None and name != provider.name:
            provider.name = name
            kept = {}  # another provider's keys mean nothing to this one
        # Credentials are replaced whole, as Auth0 replaces them.
        current = credentials if credentials is not None else kept
        provider.credentials_sealed = seal(credentials_check(provider.name, current))
        if enabled is not None:
            provider.enabled = enabled
        if default_from_address is not None:
            provider.default_from_address = default_from_address
        if provider_settings is not None:
            provider.settings = provider_settings
        provider.save()
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Create email provider" if creating else "Update email provider",
            application=application,
            request=request,
            details={"name": provider.name, "enabled": provider.enabled},
        )
    return provider


def provider_credentials(provider: EmailProvider) -> dict[str, Any]:
    return unseal(provider.credentials_sealed) if provider.credentials_sealed else {}


def provider_backend(provider: EmailProvider) -> BaseEmailBackend:
    """A mail backend sending through the provider, its credentials opened for the send."""
    credentials = provider_credentials(provider)
    kind = PROVIDERS[provider.name]
    options: dict[str, Any]
    if provider.name == "smtp":
        port = int(credentials["smtp_port"])
        options = {
            "host": credentials["smtp_host"],
            "port": port,
            "username": credentials.get("smtp_user") or "",
            "password": credentials.get("smtp_pass") or "",
            "use_ssl": port == 465,
            "use_tls": port == 587,
            "timeout": 30,
            # A named mailer (Django 6.1): every option is the provider's, none from settings.
            "alias": "email_provider",
        }
    elif provider.name == "ses":
        options = {
            "session_params": {
                "aws_access_key_id": credentials["accessKeyId"],
                "aws_secret_access_key": credentials["secretAccessKey"],
                "region_name": credentials["region"],
            }
        }
    elif provider.name == "postmark":
        options = {"server_token": credentials["api_key"]}
    elif provider.name == "mailgun":
        options = {"api_key": credentials["api_key"], "sender_domain": credentials["domain"]}
        if credentials.get("region") == "eu":
            options["api_url"] = "https://api.eu.mailgun.net/v3"
    elif provider.name == "sparkpost":
        options = {"api_key": credentials["api_key"]}
        if credentials.get("region") == "eu":
            options["api_url"] = "https://api.eu.sparkpost.com/api/v1"
    else:
        options = {"api_key": credentials["api_key"]}
    if provider.name != "smtp":
        options["fail_silently"] = False
    return import_string(kind.backend)(**options)
