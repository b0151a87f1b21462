"""User access tokens and ID tokens: RS256, signed with the key set at /.well-known/jwks.json."""

from __future__ import annotations

import secrets
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import Application, User
from accounts.tokens import ALGORITHM, InvalidToken, access_token_verify, issuer, signing_key

# The scopes an application may ask for on a user's behalf (Auth0's OIDC scopes).
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")


def userinfo_audience() -> str:
    return settings.PUBLIC_URL + "/userinfo"


def stamp_claim(user: User) -> str:
    """A digest of the user's security stamp: a new password or force sign-in changes it."""
    return salted_hmac("rekey.oidc.stamp", user.security_stamp, algorithm="sha256").hexdigest()[:32]


def user_access_token_issue(
    *, user: User, application: Application, scope: str, grant_type: str
) -> str:
    """Sign an access token for /userinfo on behalf of ``user``."""
    key = signing_key()
    now = int(timezone.now().timestamp())
    claims = {
        "iss": issuer(),
        "sub": user.user_id,
        "aud": [userinfo_audience()],
        "iat": now,
        "exp": now + settings.REKEY_ACCESS_TOKEN_LIFETIME,
        "scope": scope,
        "azp": application.client_id,
        "gty": grant_type,
        "jti": secrets.token_urlsafe(16),
        "sst": stamp_claim(user),
    }
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def user_access_token_verify(token: str, user_lookup: Any) -> tuple[User, dict[str, Any]]:
    """The user and claims of a user access token still in force (same security stamp).

    ``user_lookup`` maps a ``sub`` to a tenant user or None.
    """
    claims = access_token_verify(token, audience=userinfo_audience())
    user = user_lookup(str(claims.get("sub", "")))
    if user is None or user.blocked:
        raise InvalidToken("Invalid token")
    if not constant_time_compare(str(claims.get("sst", "")), stamp_claim(user)):
        raise InvalidToken("Invalid token: revoked")
    return user, claims


def user_claims(user: User, scope: str) -> dict[str, Any]:
    """The OIDC claims of ``user`` the scope allows (Auth0's normalised profile)."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": user.user_id}
    if "profile" in scopes:
        claims.update(
            {
                "name": user.name or user.email,
                "nickname": user.nickname or user.email.split("@")[0],
                "picture": user.picture,
                "updated_at": user.updated_at.isoformat().replace("+00:00", "Z"),
            }
        )
        for field in ("given_name", "family_name", "locale"):
            if value := getattr(user, field):
                claims[field] = value
    if "email" in scopes:
        claims.update({"email": user.email, "email_verified": user.email_verified})
    return claims
