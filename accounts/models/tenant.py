"""The tenant's settings (one row)."""

from __future__ import annotations

from django.db import models


class TenantSettings(models.Model):
    """Auth0's tenant settings that Rekey uses (one row): names and support links in emails."""

    friendly_name = models.CharField(max_length=255, blank=True)
    support_email = models.CharField(max_length=254, blank=True)
    support_url = models.URLField(max_length=2000, blank=True)
    default_language = models.CharField(max_length=16, default="en")
    enabled_locales = models.JSONField(default=list, blank=True)
    # Auth0's change_password page settings: {"enabled": bool, "html": str}.
    change_password = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.friendly_name or "tenant settings"
