"""Writes on the tenant's settings."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.audit import Audit
from accounts.events import log_event
from accounts.models import LogType, TenantSettings

TENANT_SETTINGS_FIELDS = (
    "friendly_name",
    "support_email",
    "support_url",
    "default_language",
    "enabled_locales",
    "change_password",
)


def tenant_settings_update(
    *,
    changes: dict[str, Any],
    audit: Audit,
) -> TenantSettings:
    """Change the tenant's settings (the one row, made on first use). Logs ``sapi``."""
    unknown = set(changes) - set(TENANT_SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown tenant settings: {sorted(unknown)}")
    with transaction.atomic():
        settings = TenantSettings.objects.select_for_update().order_by("pk").first()
        settings = settings or TenantSettings()
        for name, value in changes.items():
            setattr(settings, name, value)
        settings.save()
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update tenant settings",
            details={"fields": sorted(changes)},
            **audit.log_fields(),
        )
    return settings
