"""Log events with Auth0's type codes."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models.ids import new_log_id
from accounts.models.users import User


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
