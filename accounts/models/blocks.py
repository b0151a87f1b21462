"""Brute-force protection's blocks of (IP, account) pairs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models.users import User


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
