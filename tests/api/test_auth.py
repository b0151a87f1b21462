"""Bearer authentication, scopes, rate limits and the error shape of every /api/v2/ answer."""

from __future__ import annotations

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.models import Application, LogEvent
from accounts.tokens import signing_key
from tests.management_api import ApiClient, error

pytestmark = pytest.mark.django_db
WWW_AUTHENTICATE = 'Bearer realm="Management API"'


def forged(claims: dict, *, key=None, kid: str | None = None, alg: str = "RS256") -> str:
    key = key or signing_key().private_key
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid or signing_key().kid})


def claims_for(m2m, **overrides) -> dict:
    import time

    now = int(time.time())
    return {
        "iss": "http://127.0.0.1:8000/",
        "sub": f"{m2m.client_id}@clients",
        "aud": "http://127.0.0.1:8000/api/v2/",
        "iat": now,
        "exp": now + 600,
        "scope": "read:connections",
        "azp": m2m.client_id,
        **overrides,
    }


def assert_401(response, message: str, code: str = "invalid_token") -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert response.json() == error(401, message, code)


def test_a_request_without_a_token_is_401_missing_authentication():
    response = ApiClient().get("/api/v2/connections")

    assert_401(response, "Missing authentication", "missing_authentication")


def test_a_non_bearer_authorization_header_is_401():
    response = ApiClient().get("/api/v2/connections", HTTP_AUTHORIZATION="Basic abc")

    assert_401(response, "Bad HTTP authentication header format")


def test_a_token_that_is_not_a_jwt_is_401():
    assert_401(ApiClient("nonsense").get("/api/v2/connections"), "Bad token: not a JSON Web Token")


def test_an_expired_token_is_401(token_for):
    with time_machine.travel("2026-01-01 00:00:00Z", tick=False):
        token = token_for("read:connections", expires_in=60)
    with time_machine.travel("2026-01-01 00:01:01Z", tick=False):
        response = ApiClient(token).get("/api/v2/connections")

    assert_401(response, "Expired token received for JSON Web Token validation")


def test_a_token_for_another_audience_is_401(token_for):
    token = token_for("read:connections", audience="https://other.example/api/v2/")

    response = ApiClient(token).get("/api/v2/connections")

    assert_401(response, "Bad audience: expected http://127.0.0.1:8000/api/v2/")


def test_a_token_from_another_issuer_is_401_even_when_signed_by_our_key(m2m):
    # Auth0 CVE-2018-6873: the audience and issuer are checked, not just the signature.
    token = forged(claims_for(m2m, iss="https://evil.example/"))

    response = ApiClient(token).get("/api/v2/connections")

    assert_401(response, "Bad issuer: expected http://127.0.0.1:8000/")


def test_a_token_signed_by_another_key_is_401(m2m):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    response = ApiClient(forged(claims_for(m2m), key=other)).get("/api/v2/connections")

    assert_401(response, "Invalid token")


def test_a_token_with_an_unknown_kid_is_401(m2m):
    response = ApiClient(forged(claims_for(m2m), kid="nope")).get("/api/v2/connections")

    assert_401(response, "Invalid token: unknown signing key")


def test_an_hs256_token_is_401(m2m):
    token = jwt.encode(claims_for(m2m), "secret-secret-secret-secret-secret", algorithm="HS256")

    response = ApiClient(token).get("/api/v2/connections")

    assert_401(response, "Invalid algorithm: only RS256 tokens are accepted")


def test_a_token_of_a_deleted_application_is_401(m2m, token_for):
    token = token_for("read:connections")
    Application.objects.filter(pk=m2m.client_id).delete()

    assert_401(ApiClient(token).get("/api/v2/connections"), "Invalid token")


def test_a_token_without_the_scope_is_403_insufficient_scope(api_with):
    response = api_with("read:logs").get("/api/v2/connections")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: read:connections", "insufficient_scope"
    )


def test_an_unknown_path_under_api_v2_is_404_in_auth0_shape(api):
    response = api.get("/api/v2/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == error(404, "Not Found", "not_found")


def test_an_unsupported_method_is_405_in_auth0_shape(api):
    response = api.post("/api/v2/connections", {})

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == error(405, 'Method "POST" not allowed.', "method_not_allowed")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_to_an_unknown_path_is_404_json_not_a_csrf_page(method, client, token_for):
    # Before: Django's HTML "CSRF verification failed" 403, which the SDKs read as a scope error.
    response = client.generic(
        method,
        "/api/v2/nothing-here",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for()}",
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == error(404, "Not Found", "not_found")


def test_a_write_without_a_token_to_an_unknown_path_is_404_json(client):
    response = client.post("/api/v2/roles", "{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == error(404, "Not Found", "not_found")


def test_a_put_to_a_known_path_is_405_in_auth0_shape(api, user):
    response = api.generic(
        "PUT",
        f"/api/v2/users/{user.user_id}",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )

    assert response.status_code == 405
    assert response.json() == error(405, 'Method "PUT" not allowed.', "method_not_allowed")


def test_a_write_to_the_openapi_document_is_405_in_auth0_shape(client):
    response = client.post("/api/v2/schema", "{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == error(405, 'Method "POST" not allowed.', "method_not_allowed")


def test_an_unknown_query_parameter_is_400_invalid_query_string(api):
    response = api.get("/api/v2/users", {"per_page": 5, "serch": "x", "colour": "red"})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Query validation error: 'Additional properties not allowed: colour,serch'.",
        "invalid_query_string",
    )


def test_a_query_parameter_on_an_operation_without_any_is_400(api, user):
    response = api.delete(f"/api/v2/users/{user.user_id}/sessions?force=1")

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Query validation error: 'Additional properties not allowed: force'.",
        "invalid_query_string",
    )


def test_a_query_parameter_on_a_write_without_any_is_400(api, connection):
    response = api.post(
        "/api/v2/users?send_email=1",
        {"connection": connection.name, "email": "q@example.com", "password": "x"},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_query_string"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/users?page=0&per_page=1&include_totals=false&sort=email:1&connection=x"
        "&fields=email&include_fields=true&q=&search_engine=v3&primary_order=true",
        "/api/v2/users-by-email?email=a@example.com&fields=email&include_fields=false",
        "/api/v2/connections?page=0&per_page=5&include_totals=true&strategy=auth0&name=x"
        "&fields=name&include_fields=true",
        "/api/v2/logs?page=0&per_page=5&include_totals=true&sort=date:-1&q=&search="
        "&fields=type&include_fields=true",
        "/api/v2/logs?from=0&take=5",
    ],
)
def test_every_parameter_auth0_accepts_is_accepted(api, path):
    assert api.get(path).status_code == 200


def test_a_malformed_json_body_is_400_in_auth0_shape(api, user):
    response = api.patch(f"/api/v2/users/{user.user_id}", "{not json")

    assert response.status_code == 400
    assert response.json() == error(400, "Invalid request payload JSON format", "invalid_body")


def test_a_form_body_is_accepted_as_auth0_accepts_it(api, user):
    response = api.generic(
        "PATCH",
        f"/api/v2/users/{user.user_id}",
        "name=Form+Name&blocked=true",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Form Name"
    assert response.json()["blocked"] is True


def test_a_form_body_is_refused_like_json_on_an_unknown_property(api, user):
    response = api.generic(
        "PATCH",
        f"/api/v2/users/{user.user_id}",
        "nmae=x",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )

    assert response.status_code == 400
    assert response.json() == error(
        400, "Payload validation error: 'Additional properties not allowed: nmae'.", "invalid_body"
    )


def test_a_text_body_is_415_in_auth0_shape(api, user):
    response = api.generic(
        "PATCH",
        f"/api/v2/users/{user.user_id}",
        "name=x",
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )

    assert response.status_code == 415
    assert response.json() == error(
        415, 'Unsupported media type "text/plain" in request.', "unsupported_media_type"
    )


def test_answers_carry_the_rate_limit_headers(token_for, settings):
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "management_api": "10/s/key"}
    with time_machine.travel("2026-01-01 00:00:00Z", tick=False):
        api = ApiClient(token_for())
        response = api.get("/api/v2/connections")

    assert response.status_code == 200
    assert response["x-ratelimit-limit"] == "10"
    assert response["x-ratelimit-remaining"] == "9"
    assert response["x-ratelimit-reset"] == "1767225601"
    assert response["Cache-Control"] == "no-store"


def test_a_client_over_its_rate_limit_gets_429_with_retry_after_and_a_log(token_for, m2m, settings):
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "management_api": "2/m/key"}
    with time_machine.travel("2026-01-01 00:00:00Z", tick=False):
        api = ApiClient(token_for())
        api.get("/api/v2/connections")
        api.get("/api/v2/connections")
        response = api.get("/api/v2/connections")

    assert response.status_code == 429
    assert response.json() == error(429, "Global limit has been reached", "too_many_requests")
    assert response["Retry-After"] == "30"
    assert response["x-ratelimit-limit"] == "2"
    assert response["x-ratelimit-remaining"] == "0"
    assert response["x-ratelimit-reset"] == "1767225660"
    event = LogEvent.objects.get(type="api_limit")
    assert event.client_id == m2m.client_id
    assert event.details == {"method": "GET", "path": "/api/v2/connections"}


def test_the_rate_limit_is_per_client(token_for, settings, connection):
    from accounts.models import AppType, ClientGrant
    from accounts.scopes import management_audience
    from accounts.tokens import access_token_issue
    from tests.factories import ApplicationFactory

    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "management_api": "1/m/key"}
    other = ApplicationFactory(app_type=AppType.M2M)
    ClientGrant.objects.create(
        application=other, audience=management_audience(), scopes=["read:connections"]
    )
    with time_machine.travel("2026-01-01 00:00:00Z", tick=False):
        api = ApiClient(token_for())
        other_token = access_token_issue(
            client_id=other.client_id,
            audience=management_audience(),
            scopes=["read:connections"],
            expires_in=60,
        )
        assert api.get("/api/v2/connections").status_code == 200
        assert api.get("/api/v2/connections").status_code == 429
        assert ApiClient(other_token).get("/api/v2/connections").status_code == 200
