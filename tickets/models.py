"""Password-change tickets: the link in a reset email, or one made by the API or staff."""

from __future__ import annotations

import uuid

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


class TicketRevokedReason(models.TextChoices):
    """Why a ticket was revoked, so that its link can say so."""

    SUPERSEDED = "superseded", _("Replaced by a newer link")
    PASSWORD_SET_BY_STAFF = "password_set_by_staff", _("Password changed by an administrator")
    PASSWORD_CHANGED = "password_changed", _("Password changed by the user")
    BLOCKED = "blocked", _("Account blocked")
    EMAIL_CHANGED = "email_changed", _("Email address changed")
    ACCESS_REVOKED = "access_revoked", _("Access revoked")


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
    # Empty for a ticket that is not revoked, or was revoked before the reason was kept.
    revoked_reason = models.CharField(
        max_length=32, choices=TicketRevokedReason.choices, blank=True, default=""
    )
    # The id of the worker task that issued it: a task run again (its worker died after the
    # commit) finds its ticket and does not send a second email.
    request_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # A ticket sent as a 6-digit code (the connection's reset method): the code's keyed hash,
    # until the code is exchanged for a token on the code page; wrong tries burn it at five.
    code_hash = models.CharField(max_length=64, blank=True, editable=False)
    code_tries = models.PositiveSmallIntegerField(default=0)

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


class ResetRequest(models.Model):
    """A forgot-password request accepted while tasks run on a broker (RQ), until it is checked.

    A broker's copy of a job can be lost with its worker: RQ takes a job off two queues with
    BLPOP, so a worker killed before it records the job leaves no trace of it. This row is the
    request's durable copy; the job in Redis only wakes a worker, which claims waiting rows as
    a batch (``runs`` counted, ``woken_at`` starting its lease) and deletes each in the
    transaction that does its work, so a run again finds nothing to do. The sweep wakes a
    worker for rows left behind. With the database as the queue the task row itself is that
    copy, and none is written.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.CharField(max_length=254)
    connection_id = models.CharField(max_length=20)
    client_id = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    agent = models.CharField(max_length=512, blank=True)
    language = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    woken_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Runs started by a worker; a request that keeps losing its worker is failed for good.
    runs = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"reset request {self.pk}"


class EmailVerificationTicket(models.Model):
    """A link that verifies the user's email address when opened (Auth0's verification ticket).

    Kept apart from password-change tickets: it can never set a password, and issuing one does
    not revoke the user's reset link. Only the SHA-256 of its token is kept.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verification_tickets"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    application = models.ForeignKey(
        "accounts.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verification_tickets",
    )
    result_url = models.URLField(max_length=2000, blank=True)
    include_email_in_redirect = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"verification ticket #{self.pk}"
