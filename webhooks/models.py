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


class LogStreamStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    SUSPENDED = "suspended", _("Suspended")


class LogStreamFormat(models.TextChoices):
    """Auth0's ``httpContentFormat``: one array, JSON lines, or one event per request."""

    JSONARRAY = "JSONARRAY", "JSON array"
    JSONLINES = "JSONLINES", "JSON lines"
    JSONOBJECT = "JSONOBJECT", "JSON object"


def new_stream_id() -> str:
    return f"lst_{secrets.randbelow(10**16):016d}"


class LogStream(models.Model):
    """An Auth0 log stream of type http: the tenant's log events, in order, to one endpoint.

    The log table is the queue: ``cursor`` is the last event handed over, so a stream resumes
    where it stopped, and a batch whose worker died before the cursor moved is sent again (at
    least once, never out of order). A flush is claimed by a conditional UPDATE with a lease.
    """

    id = models.CharField(primary_key=True, max_length=32, default=new_stream_id)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, default="http")
    status = models.CharField(
        max_length=16, choices=LogStreamStatus.choices, default=LogStreamStatus.ACTIVE
    )
    endpoint = models.URLField(max_length=2000)
    # The Authorization header sent with each batch: kept sealed, never shown again.
    authorization_sealed = models.TextField(blank=True, editable=False)
    content_type = models.CharField(max_length=100, default="application/json")
    content_format = models.CharField(
        max_length=16, choices=LogStreamFormat.choices, default=LogStreamFormat.JSONARRAY
    )
    # Auth0's [{"type": "category", "name": "auth.login.fail"}, ...]; empty: every event.
    filters = models.JSONField(default=list, blank=True)
    cursor = models.BigIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class LogStreamAttempt(models.Model):
    """One POST of a stream: which events, and what the endpoint answered."""

    stream = models.ForeignKey(LogStream, on_delete=models.CASCADE, related_name="attempts")
    first_log_id = models.BigIntegerField()
    last_log_id = models.BigIntegerField()
    events = models.PositiveIntegerField()
    ok = models.BooleanField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    test = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stream", "-created_at"], name="stream_attempt_idx")]

    def __str__(self) -> str:
        return f"{self.stream_id}: {self.events} events ({'ok' if self.ok else self.error})"
