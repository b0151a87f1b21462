"""Outgoing webhooks (Standard Webhooks): endpoints, and one outbox row per event and endpoint."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    """The events an endpoint can receive."""

    PASSWORD_CHANGED = "password.changed", _("Password changed")
    PASSWORD_RESET_REQUESTED = "password.reset_requested", _("Password reset requested")
    PASSWORD_CHANGE_FAILED = "password.change_failed", _("Password change failed")
    USER_BLOCKED = "user.blocked", _("User blocked")
    USER_SIGNED_OUT = "user.signed_out", _("User signed out")


def new_endpoint_id() -> str:
    return f"ep_{secrets.token_hex(8)}"


class WebhookEndpoint(models.Model):
    """A receiver URL with its events and signing secret (kept sealed, shown once)."""

    id = models.CharField(primary_key=True, max_length=20, default=new_endpoint_id)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Empty: every event.
    events = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    secret_sealed = models.TextField(editable=False)
    # After a rotation the old secret signs too, until it expires: receivers move over in time.
    previous_secret_sealed = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return self.enabled and (not self.events or event in self.events)


class WebhookStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


def new_message_id() -> str:
    return f"msg_{secrets.token_urlsafe(18)}"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the row is the source of truth until it is sent or failed."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=64, choices=WebhookEvent.choices)
    # The webhook-id header: the same on every attempt, so that receivers can deduplicate.
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_endpoint_idx"),
            models.Index(fields=["status", "updated_at"], name="webhook_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
