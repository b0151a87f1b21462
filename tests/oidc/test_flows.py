"""OIDC on Auth0's paths, through Django's test client: code + PKCE, refresh, password realm."""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LogEvent, RefreshToken
from accounts.tokens import jwks
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from tests.oidc.helpers import (
    CALLBACK,
    PASSWORD_REALM,
    authorize_url,
    code_from,
    confidential,
    pkce,
    spa,
)

pytestmark = pytest.mark.django_db


# Queries of one password-realm login (client, connection, user, block check, writes).
QUERY_CEILING = 6


@pytest.fixture
def user(connection):
    return UserFactory(connection=connection, email="ada@example.com")


def _post(client, path, data, content_type=None):
    if content_type == "application/json":
        return client.post(path, data, content_type=content_type)
    return client.post(path, urlencode(data), content_type="application/x-www-form-urlencoded")


def _code(client, app, user, **extra):
    client.force_login(user)
    verifier, challenge = pkce()
    return code_from(client.get(authorize_url(app, challenge, **extra))), verifier


def _exchange(client, app, code, verifier):
    return _post(
        client,
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": CALLBACK,
        },
    )


def _verify_id_token(token: str, audience: str) -> dict:
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks()["keys"] if k["kid"] == header["kid"])
    public = jwt.algorithms.RSAAlgorithm.from_jwk(key)
    return jwt.decode(token, public, algorithms=["RS256"], audience=audience)


def test_authorize_without_a_session_sends_to_the_hosted_login(client, connection):
    app = spa(connection)
    _, challenge = pkce()

    response = client.get(authorize_url(app, challenge, login_hint="ada@example.com"))

    assert response.status_code == 302
    assert response["Location"].startswith("/u/login?")
    assert "login_hint=ada%40example.com" in response["Location"]
    assert "next=%2Fauthorize%3F" in response["Location"]


def test_code_with_pkce_gives_tokens_and_an_id_token_that_verifies(client, connection, user):
    app = spa(connection)
    code, verifier = _code(client, app, user)

    response = _exchange(client, app, code, verifier)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"]
    claims = _verify_id_token(body["id_token"], app.client_id)
    assert claims["sub"] == user.user_id
    assert claims["nonce"] == "n-1"
    assert claims["email"] == "ada@example.com"
    assert LogEvent.objects.filter(type="seacft", user=user).count() == 1


def test_userinfo_answers_for_the_access_token(client, connection, user):
    app = spa(connection)
    code, verifier = _code(client, app, user)
    token = _exchange(client, app, code, verifier).json()["access_token"]

    response = client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response.json()["sub"] == user.user_id
    assert response.json()["email"] == "ada@example.com"


def test_a_public_client_without_pkce_is_refused(client, connection, user):
    app = spa(connection)
    client.force_login(user)
    url = authorize_url(app, "x").replace("code_challenge=x&code_challenge_method=S256", "")

    response = client.get(url)

    assert response.status_code == 302
    assert "error=invalid_request" in response["Location"]


def test_plain_pkce_is_refused(client, connection, user):
    app = spa(connection)
    client.force_login(user)
    _, challenge = pkce()

    response = client.get(authorize_url(app, challenge, code_challenge_method="plain"))

    assert "error=invalid_request" in response["Location"]


def test_a_callback_not_allowed_is_refused_without_a_redirect(client, connection, user):
    app = spa(connection)
    client.force_login(user)
    _, challenge = pkce()

    response = client.get(authorize_url(app, challenge, redirect_uri="https://evil.example/cb"))

    assert response.status_code == 400


def test_a_wrong_code_verifier_is_refused(client, connection, user):
    app = spa(connection)
    code, _ = _code(client, app, user)

    response = _exchange(client, app, code, pkce()[0])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert LogEvent.objects.filter(type="feacft").exists()


def test_a_reused_code_is_refused_and_ends_what_it_gave(client, connection, user):
    app = spa(connection)
    code, verifier = _code(client, app, user)
    first = _exchange(client, app, code, verifier).json()

    again = _exchange(client, app, code, verifier)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert RefreshToken.objects.get(user=user).revoked_at is not None
    assert first["refresh_token"]


def _refresh(client, app, token):
    return _post(
        client,
        "/oauth/token",
        {"grant_type": "refresh_token", "client_id": app.client_id, "refresh_token": token},
    )


def test_refresh_rotates_the_token(client, connection, user):
    app = spa(connection)
    code, verifier = _code(client, app, user)
    first = _exchange(client, app, code, verifier).json()["refresh_token"]

    response = _refresh(client, app, first)

    assert response.status_code == 200, response.content
    assert response.json()["refresh_token"] != first
    assert response.json()["id_token"]
    assert LogEvent.objects.filter(type="sertft", user=user).count() == 1


def test_a_reused_refresh_token_is_refused_and_revokes_the_family(client, connection, user):
    app = spa(connection)
    code, verifier = _code(client, app, user)
    first = _exchange(client, app, code, verifier).json()["refresh_token"]
    second = _refresh(client, app, first).json()["refresh_token"]

    reused = _refresh(client, app, first)

    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert _refresh(client, app, second).status_code == 400
    assert LogEvent.objects.filter(type="ferrt", user=user).count() == 1


def test_password_realm_on_a_confidential_app(client, connection, user):
    app, secret = confidential(connection)

    response = _post(
        client,
        "/oauth/token",
        {
            "grant_type": PASSWORD_REALM,
            "client_id": app.client_id,
            "client_secret": secret,
            "username": "ada@example.com",
            "password": DEFAULT_PASSWORD,
            "realm": connection.name,
            "scope": "openid email",
        },
        "application/json",
    )

    assert response.status_code == 200, response.content
    assert _verify_id_token(response.json()["id_token"], app.client_id)["sub"] == user.user_id


def test_password_realm_with_a_wrong_password_counts_for_brute_force(client, connection, user):
    app, secret = confidential(connection)
    data = {
        "grant_type": PASSWORD_REALM,
        "client_id": app.client_id,
        "client_secret": secret,
        "username": "ada@example.com",
        "password": "wrong",
        "realm": connection.name,
    }

    response = _post(client, "/oauth/token", data)

    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Wrong email or password.",
    }
    assert LogEvent.objects.filter(type="f", user=user).count() == 1


def test_password_grant_must_be_enabled_on_the_application(client, connection, user):
    app = spa(connection)

    response = _post(
        client,
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "username": "ada@example.com",
            "password": DEFAULT_PASSWORD,
        },
    )

    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"


def test_password_realm_never_signs_in_staff(client, connection):
    StaffFactory(email="boss@example.com")
    app, secret = confidential(connection)

    response = _post(
        client,
        "/oauth/token",
        {
            "grant_type": PASSWORD_REALM,
            "client_id": app.client_id,
            "client_secret": secret,
            "username": "boss@example.com",
            "password": DEFAULT_PASSWORD,
            "realm": "Rekey-Staff",
        },
    )

    assert response.status_code == 403
    assert "access_token" not in response.json()


def test_a_staff_session_is_nobody_at_authorize(client, connection):
    app = spa(connection)
    client.force_login(StaffFactory())
    _, challenge = pkce()

    response = client.get(authorize_url(app, challenge))

    assert response["Location"].startswith("/u/login?")


def test_prompt_login_asks_again(client, connection, user):
    app = spa(connection)
    client.force_login(user)
    _, challenge = pkce()

    response = client.get(authorize_url(app, challenge, prompt="login"))

    assert response["Location"].startswith("/u/login?")
    assert "prompt" not in response["Location"]


def test_client_credentials_still_works(client, m2m):
    response = _post(
        client,
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": m2m.client_id,
            "client_secret": m2m.secret,
            "audience": "http://127.0.0.1:8000/api/v2/",
        },
    )

    assert response.status_code in {200, 403}
    assert response.json().get("error") != "unsupported_grant_type"


def test_revoke_ends_the_refresh_token(client, connection, user):
    app = spa(connection)
    code, verifier = _code(client, app, user)
    token = _exchange(client, app, code, verifier).json()["refresh_token"]

    response = _post(client, "/oauth/revoke", {"client_id": app.client_id, "token": token})

    assert response.status_code == 200
    assert _refresh(client, app, token).status_code == 400
    assert LogEvent.objects.filter(type="srrt", user=user).count() == 1


def test_logout_returns_to_an_allowed_url(client, connection, user):
    app = spa(connection)
    client.force_login(user)

    response = client.get(
        "/v2/logout", {"client_id": app.client_id, "returnTo": "http://localhost:3000"}
    )

    assert response.status_code == 302
    assert response["Location"] == "http://localhost:3000"
    assert "_auth_user_id" not in client.session
    assert LogEvent.objects.filter(type="slo", user=user).count() == 1


def test_logout_refuses_a_return_to_not_allowed(client, connection, user):
    app = spa(connection)
    client.force_login(user)

    response = client.get(
        "/v2/logout", {"client_id": app.client_id, "returnTo": "https://evil.example"}
    )

    assert response.status_code == 400
    assert "_auth_user_id" in client.session


def test_discovery_document(client):
    body = client.get("/.well-known/openid-configuration").json()

    assert body["issuer"] == "http://127.0.0.1:8000/"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["jwks_uri"].endswith("/.well-known/jwks.json")


def test_userinfo_refuses_a_bad_token(client):
    response = client.get("/userinfo", HTTP_AUTHORIZATION="Bearer nope")

    assert response.status_code == 401


def test_the_login_page_lets_its_form_redirect_to_the_allowed_callback_only(client, connection):
    app = spa(connection)
    _, challenge = pkce()
    login = client.get(authorize_url(app, challenge))["Location"]

    page = client.get(login)
    plain = client.get("/u/login")

    assert "form-action 'self' http://localhost:3000" in page["Content-Security-Policy"]
    assert "localhost:3000" not in plain["Content-Security-Policy"]


def test_a_password_realm_login_reads_the_connection_once_and_keeps_to_its_queries(
    client, connection, user
):
    app, secret = confidential(connection)
    body = {
        "grant_type": PASSWORD_REALM,
        "client_id": app.client_id,
        "client_secret": secret,
        "username": "ada@example.com",
        "password": DEFAULT_PASSWORD,
        "realm": connection.name,
        "scope": "openid email",
    }
    assert _post(client, "/oauth/token", body, "application/json").status_code == 200

    with CaptureQueriesContext(db_connection) as queries:
        response = _post(client, "/oauth/token", body, "application/json")

    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "accounts_connection"' in s for s in sql) == 1, sql
    # A ceiling, so that the login's cost does not creep up unnoticed (issue 14's benchmark).
    assert len(sql) <= QUERY_CEILING, sql
