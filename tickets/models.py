"""Password-change tickets: the link in a reset email, or one made by the API or staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TicketDoor(models.TextChoices):
    """Where a ticket was asked for."""

    SELF_SERVICE = "self_service", _("Self-service (forgot password)")
    API = "api", _("Management API")
    DASHBOARD = "dashboard", _("Dashboard")
    COMMAND = "command", _("Command")


class TicketStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    USED = "used", _("Used")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class PasswordChangeTicket(models.Model):
    """One ticket. Only the SHA-256 of its 256-bit random token is kept, never the token."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_tickets"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    door = models.CharField(max_length=16, choices=TicketDoor.choices)
    application = models.ForeignKey(
        "accounts.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="password_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="password_tickets_created",
    )
    result_url = models.URLField(max_length=2000, blank=True)
    include_email_in_redirect = models.BooleanField(default=False)
    mark_email_as_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The id of the worker task that issued it: a task run again (its worker died after the
    # commit) finds its ticket and does not send a second email.
    request_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="ticket_user_idx"),
            models.Index(fields=["expires_at"], name="ticket_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"ticket #{self.pk} ({self.status})"

    @property
    def status(self) -> TicketStatus:
        if self.used_at is not None:
            return TicketStatus.USED
        if self.revoked_at is not None:
            return TicketStatus.REVOKED
        if self.expires_at <= timezone.now():
            return TicketStatus.EXPIRED
        return TicketStatus.VALID

    @property
    def is_valid(self) -> bool:
        return self.status == TicketStatus.VALID
