"""Refresh tokens and authorization codes: issuing, rotating and revoking them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import Audit
from accounts.events import client_ip, log_event, user_agent
from accounts.models import (
    Application,
    AuthorizationCode,
    LogType,
    RefreshToken,
    RefreshTokenRotation,
    User,
)

# Authorization codes live ten minutes at most (RFC 6749 4.1.2).
CODE_LIFETIME = timedelta(minutes=10)


def token_hash(token: str) -> str:
    """SHA-256 of a 256+ bit random token: a fast hash is enough at that entropy."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_family() -> str:
    return secrets.token_hex(16)


def refresh_token_create(
    *,
    token: str,
    user: User,
    application: Application,
    scope: str,
    family: str | None = None,
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> RefreshToken:
    """Store a new refresh token (hashed), in a family of its own or the one it rotates."""
    now = timezone.now()
    return RefreshToken.objects.create(
        token_hash=token_hash(token),
        family=family or new_family(),
        application=application,
        user=user,
        scope=scope[:500],
        created_at=now,
        last_used_at=now,
        expires_at=expires_at or now + timedelta(seconds=application.refresh_token_lifetime),
        ip=client_ip(request),
        user_agent=user_agent(request),
    )


def refresh_token_use(*, token: str, application: Application) -> RefreshToken | None:
    """The live refresh token for that string, marked used; a reused rotated one ends its family.

    Rotation is taken atomically (a conditional UPDATE), so two concurrent uses of one token
    cannot both win.
    """
    row = (
        RefreshToken.objects.select_related("user", "user__connection", "application")
        .filter(token_hash=token_hash(token), application=application)
        .first()
    )
    if row is None or row.revoked_at is not None:
        return None
    now = timezone.now()
    rotating = application.refresh_token_rotation == RefreshTokenRotation.ROTATING
    if row.rotated_at is not None:
        _family_reused(row)
        return None
    idle_since = row.last_used_at or row.created_at
    if (
        row.expires_at <= now
        or idle_since + timedelta(seconds=application.refresh_token_idle_lifetime) <= now
    ):
        return None
    live = RefreshToken.objects.filter(pk=row.pk, rotated_at=None, revoked_at=None)
    updated = (
        live.update(rotated_at=now, last_used_at=now) if rotating else live.update(last_used_at=now)
    )
    if not updated:
        _family_reused(row)
        return None
    return row


def _family_reused(row: RefreshToken) -> None:
    """Reuse of a rotated token: someone holds a copy, so every token of the family ends."""
    count = RefreshToken.objects.filter(family=row.family, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    log_event(
        type=LogType.REFRESH_TOKEN_REUSED,
        description="Unsuccessful Refresh Token exchange, reused refresh token detected",
        user=row.user,
        application=row.application,
        details={"family_revoked": count, "refresh_token_id": row.id},
    )


def family_revoke(*, family: str) -> int:
    """End every refresh token of a family (a reused code, a revoked token); no log row."""
    if not family:
        return 0
    return RefreshToken.objects.filter(family=family, revoked_at=None).update(
        revoked_at=timezone.now()
    )


def user_tokens_end(user: User) -> int:
    """End the user's refresh tokens and unused codes; part of a password change or force sign-in.

    No log row of its own: the caller's (``scp``, ``ssr``) says it.
    """
    now = timezone.now()
    AuthorizationCode.objects.filter(user=user, used_at=None).update(used_at=now)
    return RefreshToken.objects.filter(user=user, revoked_at=None).update(revoked_at=now)


def refresh_tokens_revoke(
    *,
    user: User | None = None,
    refresh_token: RefreshToken | None = None,
    audit: Audit,
    description: str = "Revoke refresh tokens",
) -> int:
    """Revoke one refresh token (its whole family) or all of a user's; logged ``srrt``."""
    with transaction.atomic():
        if refresh_token is not None:
            target = refresh_token.user
            count = family_revoke(family=refresh_token.family)
        elif user is not None:
            target = user
            count = RefreshToken.objects.filter(user=user, revoked_at=None).update(
                revoked_at=timezone.now()
            )
        else:
            raise ValueError("a user or a refresh token")
        log_event(
            type=LogType.REFRESH_TOKENS_REVOKED,
            description=description,
            user=target,
            details={"revoked": count},
            **audit.log_fields(),
        )
    return count


def code_create(
    *,
    code: str,
    user: User,
    application: Application,
    redirect_uri: str,
    scope: str,
    nonce: str,
    code_challenge: str,
    code_challenge_method: str,
    auth_time: datetime,
) -> AuthorizationCode:
    """Store an authorization code (hashed) for one exchange."""
    return AuthorizationCode.objects.create(
        code_hash=token_hash(code),
        application=application,
        user=user,
        redirect_uri=redirect_uri[:500],
        scope=scope[:500],
        nonce=nonce[:255],
        code_challenge=code_challenge[:128],
        code_challenge_method=code_challenge_method[:8],
        auth_time=auth_time,
        family=new_family(),
    )


def code_use(*, code: str, application: Application) -> AuthorizationCode | None:
    """The code, taken once (atomically); a second use ends the tokens the first one got."""
    row = (
        AuthorizationCode.objects.select_related("user", "user__connection")
        .filter(code_hash=token_hash(code), application=application)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    taken = AuthorizationCode.objects.filter(
        Q(pk=row.pk) & Q(used_at=None) & Q(created_at__gt=now - CODE_LIFETIME)
    ).update(used_at=now)
    if not taken:
        if row.used_at is not None:
            family_revoke(family=row.family)
        return None
    return row
