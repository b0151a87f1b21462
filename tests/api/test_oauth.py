"""POST /oauth/token (client credentials) and /.well-known/jwks.json."""

from __future__ import annotations

import base64
import os
import stat
from urllib.parse import urlencode

import jwt
import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from accounts.models import Application, AppType, ClientGrant, LogEvent
from accounts.scopes import MANAGEMENT_API_SCOPES, management_audience
from accounts.tokens import jwks, signing_key

pytestmark = pytest.mark.django_db
CC_NOT_ALLOWED = "Grant type 'client_credentials' not allowed for the client."


def token_request(client: Client, m2m, *, json: bool = True, **overrides):
    body = {
        "grant_type": "client_credentials",
        "client_id": m2m.client_id,
        "client_secret": m2m.secret,
        "audience": management_audience(),
        **overrides,
    }
    body = {k: v for k, v in body.items() if v is not None}
    if json:
        return client.post("/oauth/token", body, content_type="application/json")
    return client.post(
        "/oauth/token", urlencode(body), content_type="application/x-www-form-urlencoded"
    )


def oauth_error(response, status: int, error: str, description: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {"error": error, "error_description": description}


def test_client_credentials_give_an_rs256_token_with_the_granted_scopes(client, m2m):
    response = token_request(client, m2m)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert body["scope"] == " ".join(MANAGEMENT_API_SCOPES)
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == signing_key().kid
    claims = jwt.decode(
        body["access_token"],
        signing_key().public_key,
        algorithms=["RS256"],
        audience=management_audience(),
    )
    assert claims["iss"] == "http://127.0.0.1:8000/"
    assert claims["sub"] == f"{m2m.client_id}@clients"
    assert claims["azp"] == m2m.client_id
    assert claims["gty"] == "client-credentials"
    assert claims["exp"] - claims["iat"] == 86400


def test_a_form_body_works_like_json(client, m2m):
    response = token_request(client, m2m, json=False)

    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


def test_http_basic_client_authentication_works(client, m2m):
    credentials = base64.b64encode(f"{m2m.client_id}:{m2m.secret}".encode()).decode()
    response = client.post(
        "/oauth/token",
        urlencode({"grant_type": "client_credentials", "audience": management_audience()}),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )

    assert response.status_code == 200


def test_the_scope_asked_for_narrows_the_token_to_it(client, m2m):
    response = token_request(client, m2m, scope="read:users read:logs")

    assert response.status_code == 200
    assert response.json()["scope"] == "read:users read:logs"


def test_a_scope_not_granted_is_access_denied_and_logged(client, m2m):
    # Before: a token without the scope, and a 403 later on the call that needed it.
    m2m.grant.scopes = ["read:users"]
    m2m.grant.save()

    response = token_request(client, m2m, scope="read:users delete:users read:clients")

    oauth_error(
        response,
        403,
        "access_denied",
        "Client has not been granted scopes: delete:users, read:clients",
    )
    event = LogEvent.objects.get(type="feccft")
    assert event.description == "Client has not been granted scopes: delete:users, read:clients"


def test_every_auth0_scope_of_the_endpoints_rekey_has_can_be_granted(client, m2m):
    for scope in (
        "read:logs_users",
        "update:users_app_metadata",
        "delete:users",
        "read:clients",
        "read:client_keys",
        "read:sessions",
        "read:tenant_settings",
        "update:tenant_settings",
        "read:email_provider",
        "update:email_provider",
    ):
        assert scope in MANAGEMENT_API_SCOPES
        response = token_request(client, m2m, scope=scope)
        assert response.json()["scope"] == scope


def test_expires_in_follows_the_setting(client, m2m, settings):
    settings.REKEY_ACCESS_TOKEN_LIFETIME = 600

    assert token_request(client, m2m).json()["expires_in"] == 600


def test_success_is_logged_seccft_without_the_secret(client, m2m):
    token_request(client, m2m)

    event = LogEvent.objects.get(type="seccft")
    assert event.client_id == m2m.client_id
    assert m2m.secret not in str(event.details)
    assert event.details == {
        "audience": management_audience(),
        "scope": " ".join(MANAGEMENT_API_SCOPES),
    }


# Auth0 answers wrong client credentials with access_denied, not RFC 6749's invalid_client (the
# SDKs show Auth0's code): we follow Auth0.
def test_a_wrong_secret_is_access_denied_and_logged_feccft(client, m2m):
    response = token_request(client, m2m, client_secret="wrong")

    oauth_error(response, 401, "access_denied", "Unauthorized")
    event = LogEvent.objects.get(type="feccft")
    assert event.client_id == m2m.client_id
    assert "wrong" not in str(event.details)


def test_an_unknown_client_is_access_denied(client, m2m):
    oauth_error(
        token_request(client, m2m, client_id="x" * 32), 401, "access_denied", "Unauthorized"
    )


def test_a_missing_client_id_is_invalid_client(client, m2m):
    response = token_request(client, m2m, client_id=None)

    oauth_error(response, 401, "invalid_client", "Missing required parameter: client_id")


def test_no_grant_for_the_audience_is_access_denied(client, m2m):
    ClientGrant.objects.all().delete()

    response = token_request(client, m2m)

    oauth_error(
        response,
        403,
        "access_denied",
        f'Client is not authorized to access "{management_audience()}". You need to create a '
        '"client-grant" associated to this API.',
    )


def test_another_audience_is_access_denied(client, m2m):
    response = token_request(client, m2m, audience="https://evil.example/api/v2/")

    oauth_error(response, 403, "access_denied", "Service not found: https://evil.example/api/v2/")


def test_a_missing_audience_is_access_denied(client, m2m):
    response = token_request(client, m2m, audience=None)

    oauth_error(
        response,
        403,
        "access_denied",
        "No audience parameter was provided, and no default audience has been configured",
    )


def test_a_public_client_may_not_use_client_credentials(client, m2m):
    Application.objects.filter(pk=m2m.client_id).update(app_type=AppType.SPA)

    response = token_request(client, m2m)

    oauth_error(
        response,
        403,
        "unauthorized_client",
        CC_NOT_ALLOWED,
    )


def test_a_grant_type_left_out_of_the_application_is_unauthorized_client(client, m2m):
    Application.objects.filter(pk=m2m.client_id).update(grant_types=["authorization_code"])

    response = token_request(client, m2m)

    oauth_error(
        response,
        403,
        "unauthorized_client",
        CC_NOT_ALLOWED,
    )


def test_another_known_grant_type_is_unauthorized_client(client, m2m):
    response = token_request(client, m2m, grant_type="password")

    oauth_error(
        response, 403, "unauthorized_client", "Grant type 'password' not allowed for the client."
    )


def test_an_unknown_grant_type_is_unsupported(client, m2m):
    response = token_request(client, m2m, grant_type="magic")

    oauth_error(response, 400, "unsupported_grant_type", "Unsupported grant type: magic")


def test_a_missing_grant_type_is_invalid_request(client, m2m):
    response = token_request(client, m2m, grant_type=None)

    oauth_error(response, 400, "invalid_request", "Missing required parameter: grant_type")


def test_malformed_json_is_invalid_request(client, m2m):
    response = client.post("/oauth/token", "{", content_type="application/json")

    oauth_error(response, 400, "invalid_request", "The request body is malformed.")


def test_too_many_requests_from_one_ip_are_refused_with_rate_limit_headers(client, m2m, settings):
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "oauth_token": "2/m/ip"}
    with time_machine.travel("2026-01-01 00:00:00Z", tick=False):
        assert token_request(client, m2m).status_code == 200
        assert token_request(client, m2m).status_code == 200
        response = token_request(client, m2m)

    assert response.status_code == 429
    assert response.json() == {
        "error": "too_many_requests",
        "error_description": "Too Many Requests",
    }
    assert response["Retry-After"] == "30"
    assert response["X-RateLimit-Limit"] == "2"
    assert response["X-RateLimit-Remaining"] == "0"
    assert LogEvent.objects.filter(type="api_limit").count() == 1


def test_the_jwks_publishes_the_signing_key_with_its_kid(client):
    response = client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    (key,) = response.json()["keys"]
    assert key["kid"] == signing_key().kid
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert set(key) == {"kty", "use", "alg", "kid", "n", "e"}


def test_the_signing_key_is_generated_once_readable_by_its_owner_only(settings, tmp_path):
    settings.REKEY_JWT_PRIVATE_KEY_PATH = tmp_path / "key.pem"

    first = signing_key()

    assert stat.S_IMODE(os.stat(tmp_path / "key.pem").st_mode) == 0o600
    assert signing_key().kid == first.kid


def test_after_rotation_old_tokens_verify_and_both_keys_are_published(
    settings, tmp_path, client, m2m
):
    settings.REKEY_JWT_PRIVATE_KEY_PATH = tmp_path / "old.pem"
    old_token = token_request(client, m2m).json()["access_token"]
    old_kid = signing_key().kid

    settings.REKEY_JWT_PREVIOUS_KEY_PATHS = [str(tmp_path / "old.pem")]
    settings.REKEY_JWT_PRIVATE_KEY_PATH = tmp_path / "new.pem"
    new_token = token_request(client, m2m).json()["access_token"]

    assert jwt.get_unverified_header(new_token)["kid"] != old_kid
    assert [k["kid"] for k in jwks()["keys"]] == [signing_key().kid, old_kid]
    for token in (old_token, new_token):
        response = client.get("/api/v2/connections", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200


def test_production_refuses_to_generate_a_key_each_server_would_differ(settings, tmp_path):
    settings.PRODUCTION = True
    settings.TESTING = False
    settings.REKEY_JWT_PRIVATE_KEY_PATH = tmp_path / "missing.pem"

    with pytest.raises(ImproperlyConfigured, match="give every server the same key"):
        signing_key()
    assert not (tmp_path / "missing.pem").exists()


def test_an_operator_key_in_pkcs8_pem_is_used_as_given(settings, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "given.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.REKEY_JWT_PRIVATE_KEY_PATH = path

    assert signing_key().public_key.public_numbers() == key.public_key().public_numbers()
