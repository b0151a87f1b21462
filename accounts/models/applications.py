"""Applications, their grants and tokens, and the tenant's settings."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models.ids import new_client_id, new_refresh_token_id
from accounts.models.users import Connection


class AppType(models.TextChoices):
    SPA = "spa", _("Single page application")
    REGULAR_WEB = "regular_web", _("Regular web application")
    NATIVE = "native", _("Native")
    M2M = "non_interactive", _("Machine to machine")


class RefreshTokenRotation(models.TextChoices):
    ROTATING = "rotating", "Rotating"
    NON_ROTATING = "non-rotating", "Non-rotating"


class Application(models.Model):
    client_id = models.CharField(primary_key=True, max_length=32, default=new_client_id)
    name = models.CharField(max_length=128)
    app_type = models.CharField(max_length=32, choices=AppType.choices, default=AppType.SPA)
    # SHA-256 of a 256-bit random secret: a fast hash is enough for a secret of that entropy.
    client_secret_hash = models.CharField(max_length=64, blank=True)
    allowed_origins = models.JSONField(default=list, blank=True)
    default_login_route = models.URLField(max_length=500, blank=True)
    enabled_connections = models.ManyToManyField(
        Connection, related_name="applications", blank=True
    )
    language = models.CharField(max_length=16, blank=True)
    grant_types = models.JSONField(default=list, blank=True)
    # Auth0's sign-in settings (OIDC, accounts.oidc): exact URLs, no wildcards.
    callbacks = models.JSONField(default=list, blank=True)
    allowed_logout_urls = models.JSONField(default=list, blank=True)
    web_origins = models.JSONField(default=list, blank=True)
    refresh_token_rotation = models.CharField(
        max_length=16, choices=RefreshTokenRotation.choices, default=RefreshTokenRotation.ROTATING
    )
    # Seconds (Auth0's defaults: 30 days absolute, 15 days idle).
    refresh_token_lifetime = models.PositiveIntegerField(default=2592000)
    refresh_token_idle_lifetime = models.PositiveIntegerField(default=1296000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public_client(self) -> bool:
        """SPAs and native apps keep no secret: they authenticate with PKCE only."""
        return self.app_type in {AppType.SPA, AppType.NATIVE}


class AuthorizationCode(models.Model):
    """A code from /authorize, single use, kept (hashed) so that a reuse is recognised."""

    code_hash = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("User", on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.CharField(max_length=500)
    scope = models.CharField(max_length=500, blank=True)
    nonce = models.CharField(max_length=255, blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=8, blank=True)
    auth_time = models.DateTimeField()
    # The refresh-token family the exchange started; a reused code revokes it.
    family = models.CharField(max_length=32, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"code for user {self.user_id}"


class RefreshToken(models.Model):
    """A refresh token (SHA-256 of 384 random bits); rotation links a family of them."""

    id = models.CharField(primary_key=True, max_length=32, default=new_refresh_token_id)
    token_hash = models.CharField(max_length=64, unique=True)
    family = models.CharField(max_length=32, db_index=True)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("User", on_delete=models.CASCADE, related_name="refresh_tokens")
    scope = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The family's absolute end (the first token's creation + the application's lifetime).
    expires_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="refreshtoken_user_idx")]

    def __str__(self) -> str:
        return f"refresh token {self.id}"


class ClientGrant(models.Model):
    """Scopes an application may ask for on an audience (the Management API)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="grants")
    audience = models.CharField(max_length=255)
    scopes = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "audience"], name="grant_per_audience")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} on {self.audience}"
