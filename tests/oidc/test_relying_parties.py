"""Independent client libraries against a live Rekey: authlib's OAuth2Session (a standard OIDC
relying party, driven through the discovery document, with Chromium on the login page) and
auth0-python's GetToken, unchanged but for the domain."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import pytest
import requests
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import sync_playwright

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.oidc.helpers import CALLBACK, confidential, spa
from tests.tickets.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def rekey(live_server, settings):
    settings.PUBLIC_URL = live_server.url
    return live_server.url


@pytest.fixture
def user(connection):
    return UserFactory(connection=connection, email="ada@example.com")


def _verified_claims(rekey: str, id_token: str, audience: str) -> dict:
    keys = KeySet.import_key_set(requests.get(rekey + "/.well-known/jwks.json", timeout=10).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": rekey + "/"},
        aud={"essential": True, "value": audience},
    ).validate(token.claims)
    return token.claims


@pytest.mark.browser
def test_a_standard_relying_party_signs_in_with_code_and_pkce(
    rekey, connection, user, chromium_path, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    app = spa(connection)
    discovery = requests.get(rekey + "/.well-known/openid-configuration", timeout=10).json()
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(12)
    with OAuth2Session(
        app.client_id,
        redirect_uri=CALLBACK,
        scope="openid profile email offline_access",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as session:
        url, state = session.create_authorization_url(
            discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        callback_urls: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page()

            def callback(route) -> None:
                callback_urls.append(route.request.url)
                route.fulfill(status=200, body="signed in", content_type="text/plain")

            page.route("http://localhost:3000/**", callback)
            try:
                page.goto(url)
                page.get_by_label("Email address").fill("ada@example.com")
                page.get_by_label("Password").fill(DEFAULT_PASSWORD)
                page.get_by_role("button", name="Continue").click()
                page.wait_for_url("http://localhost:3000/callback**")
            finally:
                browser.close()

        token = session.fetch_token(
            discovery["token_endpoint"],
            authorization_response=callback_urls[0],
            state=state,
            code_verifier=verifier,
        )
        claims = _verified_claims(rekey, token["id_token"], app.client_id)
        userinfo = session.get(discovery["userinfo_endpoint"]).json()
        refreshed = session.refresh_token(discovery["token_endpoint"])

    assert claims["sub"] == user.user_id
    assert claims["nonce"] == nonce
    assert userinfo["email"] == "ada@example.com"
    assert refreshed["refresh_token"] != token["refresh_token"]


def test_auth0_python_password_realm_login_and_refresh(rekey, connection, user):
    app, secret = confidential(connection)
    auth = GetToken(urlsplit(rekey).netloc, app.client_id, client_secret=secret, protocol="http")

    tokens = auth.login(
        "ada@example.com",
        DEFAULT_PASSWORD,
        realm=connection.name,
        scope="openid profile email offline_access",
    )
    refreshed = auth.refresh_token(tokens["refresh_token"])

    assert _verified_claims(rekey, tokens["id_token"], app.client_id)["sub"] == user.user_id
    assert refreshed["access_token"]
    assert refreshed["refresh_token"] != tokens["refresh_token"]


def test_auth0_python_sees_a_wrong_password_as_auth0_says_it(rekey, connection, user):
    app, secret = confidential(connection)
    auth = GetToken(urlsplit(rekey).netloc, app.client_id, client_secret=secret, protocol="http")

    with pytest.raises(Auth0Error) as refused:
        auth.login("ada@example.com", "not-it", realm=connection.name)

    assert refused.value.status_code == 403
    assert refused.value.error_code == "invalid_grant"
    assert refused.value.message == "Wrong email or password."
