"""Helpers of the OIDC tests: applications set up as Auth0 would have them, PKCE, code flow."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from accounts.models import AppType, RefreshTokenRotation
from accounts.services import Audit, Door, application_secret_rotate
from tests.factories import ApplicationFactory

CALLBACK = "http://localhost:3000/callback"
PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"


def spa(connection, **fields):
    defaults = {
        "app_type": AppType.SPA,
        "callbacks": [CALLBACK],
        "allowed_logout_urls": ["http://localhost:3000"],
        "web_origins": ["http://localhost:3000"],
        "refresh_token_rotation": RefreshTokenRotation.ROTATING,
    }
    return ApplicationFactory(connections=[connection], **{**defaults, **fields})


def confidential(connection, **fields):
    """A regular web app with the password-realm grant; returns (application, secret)."""
    defaults = {
        "app_type": AppType.REGULAR_WEB,
        "callbacks": ["http://localhost:4000/callback"],
        "grant_types": ["authorization_code", "refresh_token", "password", PASSWORD_REALM],
    }
    app = ApplicationFactory(connections=[connection], **{**defaults, **fields})
    return app, application_secret_rotate(application=app, audit=Audit(door=Door.COMMAND))


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(app, challenge: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid profile email offline_access",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/authorize?" + urlencode(params)


def code_from(response) -> str:
    assert response.status_code == 302, response.content
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]
