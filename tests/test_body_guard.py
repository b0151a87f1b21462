"""Oversized and deeply nested bodies: a clear 413 or 400 in each JSON door's shape, never 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BIG = b'{"email": "' + b"a" * (20 * 1024 * 1024) + b'"}'
NESTED = b"[" * 100_000 + b"]" * 100_000
AUTH_DOORS = ["/dbconnections/change_password", "/oauth/token"]


@pytest.mark.parametrize("path", AUTH_DOORS)
def test_attack_a_20_mb_body_is_413_in_the_authentication_api_shape(client, path):
    response = client.post(path, BIG, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "error": "payload_too_large",
        "error_description": "The body is over 2621440 bytes.",
    }


@pytest.mark.parametrize("path", AUTH_DOORS)
def test_attack_deeply_nested_json_is_400_in_the_authentication_api_shape(client, path):
    response = client.post(path, NESTED, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The JSON body is nested too deeply.",
    }


@pytest.mark.parametrize(
    "body, status, message",
    [
        (BIG, 413, "The body is over 2621440 bytes."),
        (NESTED, 400, "The JSON body is nested too deeply."),
    ],
)
def test_attack_bodies_on_the_management_api_answer_in_its_shape(client, body, status, message):
    response = client.patch(
        "/api/v2/users/auth0|0123456789abcdef01234567", body, content_type="application/json"
    )

    assert response.status_code == status
    assert response.json()["statusCode"] == status
    assert response.json()["message"] == message


def test_a_small_well_formed_request_is_left_to_the_view(client, connection):
    response = client.post(
        "/dbconnections/change_password",
        {"email": "someone@example.com", "connection": connection.name},
        content_type="application/json",
    )

    assert response.status_code == 200
