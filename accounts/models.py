"""Users, connections, applications, grants, sessions and log events."""

from __future__ import annotations

import secrets
import string
import unicodedata
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

ALNUM = string.ascii_letters + string.digits


def _random_alnum(length: int) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(length))


def new_connection_id() -> str:
    return "con_" + _random_alnum(16)


def new_client_id() -> str:
    return _random_alnum(32)


DATABASE_USER_ID_PREFIX = "auth0|"
# The id part a migrating customer brings from Auth0 (``auth0|`` + this): no spaces, no "|".
GIVEN_USER_ID_PATTERN = r"^(auth0\|)?[!-{}~]{1,120}$"


def new_user_id() -> str:
    return DATABASE_USER_ID_PREFIX + secrets.token_hex(12)


def database_user_id(given: str) -> str:
    """``auth0|<given>``, as Auth0 makes it from a ``user_id`` given at creation or import.

    An id that already starts with ``auth0|`` (as Auth0's own export writes them) is kept as it
    is, so that a file exported from Auth0 imports without renumbering anyone.
    """
    if given.startswith(DATABASE_USER_ID_PREFIX):
        return given
    return DATABASE_USER_ID_PREFIX + given


def new_session_id() -> str:
    return _random_alnum(32)


def new_security_stamp() -> str:
    return secrets.token_hex(16)


def new_log_id() -> str:
    # Auth0 log ids sort by time: a millisecond timestamp, then randomness.
    return f"{int(timezone.now().timestamp() * 1000):015d}{secrets.token_hex(8)}"


def email_key(email: str) -> str:
    """The form emails are matched on: NFKC, case-folded, trimmed (Django CVE-2019-19844)."""
    return unicodedata.normalize("NFKC", email).casefold().strip()


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


def new_refresh_token_id() -> str:
    return "rt_" + _random_alnum(24)


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


class LoginBlock(models.Model):
    """Brute-force protection's block of one (IP, account) pair (Auth0's user-blocks).

    Kept for accounts that exist, so staff and the API can list and remove them; the failure
    counts themselves live in the cache (accounts.bruteforce).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_blocks")
    identifier = models.CharField(max_length=254)  # the email_key the login was tried with
    connection = models.CharField(max_length=128)
    ip = models.GenericIPAddressField()
    # SHA-256 of the unblock link's token (256 random bits: a fast hash is enough).
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["identifier", "connection", "ip"], name="loginblock_pair"
            )
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="loginblock_user_idx")]

    def __str__(self) -> str:
        return f"block of user {self.user_id} from {self.ip}"


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


class LogType(models.TextChoices):
    """Auth0's log event type codes (fcpn is Auth0's phone change, not ours)."""

    SUCCESS_LOGIN = "s", _("Success Login")
    FAILED_LOGIN = "f", _("Failed Login")
    SUCCESS_CHANGE_PASSWORD_REQUEST = "scpr", _("Success Change Password Request")
    FAILED_CHANGE_PASSWORD_REQUEST = "fcpr", _("Failed Change Password Request")
    SUCCESS_CHANGE_PASSWORD = "scp", _("Success Change Password")
    FAILED_CHANGE_PASSWORD = "fcp", _("Failed Change Password")
    FAILED_POST_CHANGE_PASSWORD_HOOK = "fcph", _("Failed Post Change Password Hook")
    FAILED_NOTIFICATION = "fn", _("Failed Sending Notification")
    SUCCESS_API_OPERATION = "sapi", _("Success API Operation")
    API_LIMIT = "api_limit", _("Rate Limit On API")
    SUCCESS_TOKEN_EXCHANGE = "seccft", _("Success Exchange (Client Credentials)")
    FAILED_TOKEN_EXCHANGE = "feccft", _("Failed Exchange (Client Credentials)")
    SUCCESS_LOGOUT = "slo", _("Success Logout")
    LIMIT_MU = "limit_mu", _("Blocked IP Address")
    LIMIT_WC = "limit_wc", _("Blocked Account")
    BLOCK_RELEASED = "ublkdu", _("User Login Block Released")
    FORCED_SIGN_IN = "ssr", _("Sessions Revoked")
    SUCCESS_CODE_EXCHANGE = "seacft", _("Success Exchange (Authorization Code for Access Token)")
    FAILED_CODE_EXCHANGE = "feacft", _("Failed Exchange (Authorization Code for Access Token)")
    SUCCESS_REFRESH_EXCHANGE = "sertft", _("Success Exchange (Refresh Token for Access Token)")
    FAILED_REFRESH_EXCHANGE = "fertft", _("Failed Exchange (Refresh Token for Access Token)")
    REFRESH_TOKEN_REUSED = "ferrt", _("Failed Exchange (Rotating Refresh Token reused)")
    SUCCESS_PASSWORD_EXCHANGE = "sepft", _("Success Exchange (Password for Access Token)")
    FAILED_PASSWORD_EXCHANGE = "fepft", _("Failed Exchange (Password for Access Token)")
    REFRESH_TOKENS_REVOKED = "srrt", _("Success Revocation of Refresh Tokens")
    MFA_ENROLLED = "gd_enrollment_complete", _("Guardian - MFA enrollment complete")
    MFA_UNENROLLED = "gd_unenroll", _("Guardian - MFA unenrolled")
    MFA_SUCCEEDED = "gd_auth_succeed", _("Guardian - Second factor authentication succeeded")
    MFA_FAILED = "gd_auth_failed", _("Guardian - Second factor authentication failed")
    MFA_RECOVERY_SUCCEEDED = "gd_recovery_succeed", _("Guardian - Recovery succeeded")

    SUCCESS_USER_DELETION = "sdu", _("Success User Deletion")
    SUCCESS_VERIFICATION_EMAIL = "sv", _("Success Verification Email")
    FAILED_VERIFICATION_EMAIL = "fv", _("Failed Verification Email")
    SUCCESS_VERIFICATION_EMAIL_REQUEST = "svr", _("Success Verification Email Request")


class LogEvent(models.Model):
    log_id = models.CharField(max_length=40, unique=True, default=new_log_id)
    type = models.CharField(max_length=32, choices=LogType.choices)
    date = models.DateTimeField(default=timezone.now)
    description = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="log_events"
    )
    user_id_text = models.CharField(max_length=128, blank=True)
    user_name = models.CharField(max_length=254, blank=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    client_id = models.CharField(max_length=32, blank=True)
    client_name = models.CharField(max_length=128, blank=True)
    connection = models.CharField(max_length=128, blank=True)
    connection_id = models.CharField(max_length=20, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["-date", "-id"], name="log_date_idx"),
            models.Index(fields=["user", "-date"], name="log_user_idx"),
            models.Index(fields=["type", "-date"], name="log_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.date:%Y-%m-%d %H:%M:%S}"


# The jobs live in a module of their own; imported here so that Django finds the model.
from accounts.jobs.models import Job  # noqa: E402, F401
