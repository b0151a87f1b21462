"""Email templates, the durable outbox of deliveries, and the local inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_URL_LIFETIME = 432000  # five days, as Auth0


class TemplateName(models.TextChoices):
    RESET_EMAIL = "reset_email", _("Change password (reset link)")
    RESET_EMAIL_BY_CODE = "reset_email_by_code", _("Change password (reset code)")
    PASSWORD_CHANGED = "password_changed", _("Password changed notification")
    BLOCKED_ACCOUNT = "blocked_account", _("Blocked account (unblock link)")


# Every template name Auth0's Management API takes; Rekey adds password_changed of its own.
AUTH0_TEMPLATE_NAMES = (
    "verify_email",
    "verify_email_by_code",
    "reset_email",
    "reset_email_by_code",
    "welcome_email",
    "blocked_account",
    "stolen_credentials",
    "enrollment_email",
    "mfa_oob_code",
    "user_invitation",
    "change_password",
    "password_reset",
)
TEMPLATE_NAMES = (*AUTH0_TEMPLATE_NAMES, TemplateName.PASSWORD_CHANGED.value)

# What staff read for each name (the names themselves are Auth0's, for the API).
TEMPLATE_TITLES = {
    "verify_email": _("Verification email (link)"),
    "verify_email_by_code": _("Verification email (code)"),
    "reset_email": TemplateName.RESET_EMAIL.label,
    "reset_email_by_code": _("Change password (code)"),
    "welcome_email": _("Welcome email"),
    "blocked_account": TemplateName.BLOCKED_ACCOUNT.label,
    "stolen_credentials": _("Password breach alert"),
    "enrollment_email": _("Enrol in multi-factor authentication"),
    "mfa_oob_code": _("Verification code for email MFA"),
    "user_invitation": _("User invitation"),
    "change_password": _("Change password confirmation (legacy)"),
    "password_reset": _("Password reset (legacy)"),
    "password_changed": TemplateName.PASSWORD_CHANGED.label,
}


class TemplateLanguage(models.TextChoices):
    EN = "en", "English"
    JA = "ja", "日本語"


class TemplateSyntax(models.TextChoices):
    LIQUID = "liquid", "Liquid"


class EmailTemplate(models.Model):
    """One email template in one language (Auth0's email template, per language)."""

    name = models.CharField(max_length=64)
    language = models.CharField(
        max_length=8, choices=TemplateLanguage.choices, default=TemplateLanguage.EN
    )
    subject = models.CharField(max_length=255)
    body = models.TextField(help_text="Liquid; HTML.")
    # Empty: settings.DEFAULT_FROM_EMAIL.
    from_address = models.CharField(max_length=255, blank=True)
    syntax = models.CharField(
        max_length=16, choices=TemplateSyntax.choices, default=TemplateSyntax.LIQUID
    )
    result_url = models.URLField(max_length=2000, blank=True)
    url_lifetime_in_seconds = models.PositiveIntegerField(default=DEFAULT_URL_LIFETIME)
    include_email_in_redirect = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["name", "language"], name="email_template_per_lang")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def title(self) -> str:
        """The template's name as staff read it ("Change password (reset link)")."""
        return str(TEMPLATE_TITLES.get(self.name, self.name))


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EmailDelivery(models.Model):
    """One email in the durable outbox, written in the transaction that asked for it.

    ``subject``/``text_body``/``html_body`` are what may be shown: for a message that carries a
    secret (``has_secret``: a ticket link), the template rendered with a placeholder in its
    place. The message as sent is kept encrypted in ``sealed`` until it is sent or fails for
    good, then cleared.
    """

    to = models.CharField(max_length=254)
    from_address = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    sealed = models.TextField(blank=True, editable=False)
    has_secret = models.BooleanField(default=False, editable=False)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # The error's class (and SMTP code): never the message, which may quote an address.
    last_error = models.CharField(max_length=500, blank=True)
    template_name = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_deliveries",
    )
    provider_message_id = models.CharField(max_length=255, blank=True)
    # The same on every attempt (see emails.delivery.message_id_for), so that a resend after a
    # provider timeout is recognisable as the same message.
    message_id = models.CharField(max_length=255, blank=True)
    # When the request behind it was accepted (a forgot-password request answers before the
    # worker writes this row): request-to-send latency is sent_at - requested_at.
    requested_at = models.DateTimeField(null=True, blank=True)
    # The provider's last word through its tracking webhook (delivered, bounced, complained...).
    feedback = models.CharField(max_length=32, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "email deliveries"
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="delivery_created_idx"),
            models.Index(fields=["status", "-created_at"], name="delivery_status_idx"),
            models.Index(fields=["user", "-created_at"], name="delivery_user_idx"),
            models.Index(fields=["provider_message_id"], name="delivery_provider_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template_name or 'email'} #{self.pk} ({self.status})"


# The name the lead's notes use for the outbox.
Outbox = EmailDelivery


class InboxMessage(models.Model):
    """A message delivered by the local inbox backend (the embedded default EMAIL_BACKEND)."""

    to = models.TextField(help_text="Comma-separated recipients.")
    from_address = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="inbox_created_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class EmailProvider(models.Model):
    """The tenant's email provider (Auth0's ``/api/v2/emails/provider``): one row, or none.

    ``credentials_sealed`` holds the provider's API keys or SMTP password encrypted with a key
    derived from SECRET_KEY; they are written, never read back through the API.
    """

    name = models.CharField(max_length=32)
    enabled = models.BooleanField(default=True)
    default_from_address = models.CharField(max_length=255, blank=True)
    credentials_sealed = models.TextField(blank=True, editable=False)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"email provider {self.name}"
