"""Connections, users, their password history, sessions and login blocks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.models.ids import (
    email_key,
    new_connection_id,
    new_security_stamp,
    new_session_id,
    new_user_id,
)


class Strategy(models.TextChoices):
    DATABASE = "auth0", _("Database")
    GOOGLE = "google-oauth2", "Google"
    GITHUB = "github", "GitHub"
    SAML = "samlp", "SAML"
    AZURE_AD = "waad", "Microsoft Entra ID"
    OIDC = "oidc", "OpenID Connect"


SOCIAL_STRATEGIES = {Strategy.GOOGLE, Strategy.GITHUB}


class PolicyLevel(models.TextChoices):
    NONE = "none", _("None")
    LOW = "low", _("Low")
    FAIR = "fair", _("Fair")
    GOOD = "good", _("Good")
    EXCELLENT = "excellent", _("Excellent")


# The staff realm: the one connection that dashboard staff live in. No tenant door (Management
# API, /dbconnections, the hosted login and forgot-password pages) sees it or its users.
STAFF_CONNECTION_NAME = "Rekey-Staff"


class ResetMethod(models.TextChoices):
    """How a forgot-password request reaches the user: a link, or a code typed on the page."""

    LINK = "link", _("A link")
    CODE = "code", _("A 6-digit code")


class Connection(models.Model):
    id = models.CharField(primary_key=True, max_length=20, default=new_connection_id)
    name = models.CharField(max_length=128, unique=True)
    display_name = models.CharField(max_length=128, blank=True)
    strategy = models.CharField(max_length=32, choices=Strategy.choices, default=Strategy.DATABASE)
    password_policy = models.CharField(
        max_length=16, choices=PolicyLevel.choices, default=PolicyLevel.GOOD
    )
    min_length = models.PositiveSmallIntegerField(null=True, blank=True)
    history_enable = models.BooleanField(default=False)
    history_size = models.PositiveSmallIntegerField(default=5)
    no_personal_info = models.BooleanField(default=False)
    dictionary_enable = models.BooleanField(default=False)
    dictionary = models.JSONField(default=list, blank=True)
    # Where mail gateways' link scanners or policies rule links out, a code sent by email.
    password_reset_method = models.CharField(
        max_length=8, choices=ResetMethod.choices, default=ResetMethod.LINK
    )
    # The options Auth0 has and Rekey does not use (brute_force_protection, mfa, ...), kept and
    # returned as sent: infrastructure-as-code tools send the whole object back.
    options_extra = models.JSONField(default=dict, blank=True)
    is_staff_realm = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_staff_realm"],
                condition=models.Q(is_staff_realm=True),
                name="one_staff_realm",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_database(self) -> bool:
        return self.strategy == Strategy.DATABASE

    @property
    def is_social(self) -> bool:
        return self.strategy in SOCIAL_STRATEGIES


class UserManager(BaseUserManager["User"]):
    def create_user(
        self, email: str, password: str | None = None, *, connection: Connection, **extra: Any
    ) -> User:
        """Create a user without a policy check (for seeding and imports; services check)."""
        user = self.model(email=email, connection=connection, **extra)
        if password and connection.is_database:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """A staff administrator, in the staff realm (``createsuperuser``).

        The staff realm's policy applies here too, whatever the command was told: Django's
        ``createsuperuser`` skips validation with ``--noinput`` and offers to bypass it.
        """
        from django.contrib.auth.password_validation import validate_password

        from accounts.selectors import staff_connection

        if password:
            validate_password(password)

        extra.setdefault("is_staff", True)
        extra.setdefault("staff_role", StaffRole.ADMINISTRATOR)
        extra.setdefault("is_superuser", True)
        extra.pop("connection", None)
        return self.create_user(email, password, connection=staff_connection(), **extra)


class StaffRole(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    ADMINISTRATOR = "administrator", _("Administrator")


class User(AbstractBaseUser):
    user_id = models.CharField(max_length=128, unique=True, default=new_user_id)
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="users")
    email = models.CharField(max_length=254)
    email_key = models.CharField(max_length=254, editable=False)
    email_verified = models.BooleanField(default=False)
    username = models.CharField(max_length=128, blank=True)
    name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    nickname = models.CharField(max_length=150, blank=True)
    picture = models.URLField(max_length=500, blank=True)
    user_metadata = models.JSONField(default=dict, blank=True)
    app_metadata = models.JSONField(default=dict, blank=True)
    locale = models.CharField(max_length=16, blank=True)
    blocked = models.BooleanField(default=False)
    last_password_reset = models.DateTimeField(null=True, blank=True)
    logins_count = models.PositiveIntegerField(default=0)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    # Bumped whenever every session and token of the user must end; part of the session hash.
    security_stamp = models.CharField(max_length=32, default=new_security_stamp)
    is_staff = models.BooleanField(default=False)
    is_superuser = models.BooleanField(default=False)
    staff_role = models.CharField(
        max_length=16, choices=StaffRole.choices, default=StaffRole.VIEWER
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "user_id"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "email_key"], name="user_email_per_conn")
        ]
        indexes = [
            models.Index(fields=["email_key", "id"], name="user_email_key_idx"),
            models.Index(fields=["name"], name="user_name_idx"),
            models.Index(fields=["connection", "email_key", "id"], name="user_conn_email_idx"),
            models.Index(fields=["-created_at", "-id"], name="user_created_idx"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email_key = email_key(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_key"}
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return not self.blocked

    @property
    def is_administrator(self) -> bool:
        return self.is_staff and (self.is_superuser or self.staff_role == StaffRole.ADMINISTRATOR)

    def get_session_auth_hash(self) -> str:
        """Sessions die with a new password or a new security stamp (force sign-in)."""
        return salted_hmac(
            "rekey.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.security_stamp}",
            algorithm="sha256",
        ).hexdigest()

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_administrator

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_administrator


class PasswordHistory(models.Model):
    """Earlier password hashes, for the connection's password_history rule."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="pwhistory_user_idx")]

    def __str__(self) -> str:
        return f"password of user {self.user_id} until {self.created_at:%Y-%m-%d}"


class UserSession(models.Model):
    """A browser session of a user, so they can be listed and ended."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    # The id the Management API shows; the session key itself is a secret and never leaves.
    sid = models.CharField(max_length=32, unique=True, default=new_session_id)
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="usersession_user_idx")]

    def __str__(self) -> str:
        return f"session of user {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
