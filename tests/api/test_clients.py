"""GET /api/v2/clients, /api/v2/clients/{id} and /api/v2/client-grants."""

from __future__ import annotations

import pytest

from accounts.models import AppType
from accounts.scopes import MANAGEMENT_API_SCOPES, management_audience
from tests.factories import ApplicationFactory
from tests.management_api import error

pytestmark = pytest.mark.django_db


def expected_m2m(m2m) -> dict:
    return {
        "client_id": m2m.client_id,
        "tenant": "127.0.0.1",
        "name": "Backend",
        "description": "",
        "app_type": "non_interactive",
        "is_first_party": True,
        "oidc_conformant": True,
        "global": False,
        "callbacks": [],
        "allowed_origins": [],
        "web_origins": [],
        "allowed_logout_urls": [],
        "grant_types": ["client_credentials"],
        "initiate_login_uri": "",
        "token_endpoint_auth_method": "client_secret_post",
        "jwt_configuration": {
            "alg": "RS256",
            "lifetime_in_seconds": 36000,
            "secret_encoded": False,
        },
        "sso_disabled": False,
        "cross_origin_authentication": False,
        "custom_login_page_on": True,
        "client_metadata": {},
    }


@pytest.fixture
def spa(connection):
    return ApplicationFactory(
        name="Web shop",
        app_type=AppType.SPA,
        allowed_origins=["https://shop.example.com"],
        connections=[connection],
    )


def test_get_a_client_in_auth0s_shape(api, m2m):
    response = api.get(f"/api/v2/clients/{m2m.client_id}")

    assert response.status_code == 200
    assert response.json() == expected_m2m(m2m)


def test_a_public_client_authenticates_with_none(api, spa):
    body = api.get(f"/api/v2/clients/{spa.client_id}").json()

    assert body["token_endpoint_auth_method"] == "none"
    assert body["allowed_origins"] == body["web_origins"] == ["https://shop.example.com"]
    assert body["grant_types"] == ["authorization_code", "implicit", "refresh_token"]


def test_the_client_secret_is_never_returned_even_with_read_client_keys(api_with, m2m):
    # Auth0 returns client_secret with read:client_keys; Rekey keeps only its hash.
    response = api_with("read:clients", "read:client_keys").get(f"/api/v2/clients/{m2m.client_id}")

    assert response.status_code == 200
    assert "client_secret" not in response.json()
    assert m2m.secret not in response.content.decode()
    assert m2m.application.client_secret_hash not in response.content.decode()


def test_list_clients_by_name(api, m2m, spa):
    response = api.get("/api/v2/clients", {"fields": "client_id,name"})

    assert response.json() == [
        {"client_id": m2m.client_id, "name": "Backend"},
        {"client_id": spa.client_id, "name": "Web shop"},
    ]


def test_list_clients_by_app_type_with_totals(api, m2m, spa):
    response = api.get(
        "/api/v2/clients",
        {"app_type": "non_interactive,native", "include_totals": "true", "fields": "name"},
    )

    assert response.json() == {
        "start": 0,
        "limit": 50,
        "length": 1,
        "total": 1,
        "clients": [{"name": "Backend"}],
    }


def test_no_rekey_client_is_global(api, m2m):
    assert api.get("/api/v2/clients", {"is_global": "true"}).json() == []


def test_an_unknown_client_is_404(api):
    response = api.get("/api/v2/clients/" + "x" * 32)

    assert response.status_code == 404
    assert response.json() == error(404, "The client does not exist", "inexistent_client")


def test_clients_need_read_clients(api_with, m2m):
    response = api_with("read:client_keys").get("/api/v2/clients")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: read:clients", "insufficient_scope"
    )


def test_client_grants_in_auth0s_shape(api, m2m):
    response = api.get("/api/v2/client-grants")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": f"cgr_{m2m.grant.pk:016d}",
            "client_id": m2m.client_id,
            "audience": management_audience(),
            "scope": MANAGEMENT_API_SCOPES,
        }
    ]


def test_client_grants_filter_by_client_and_audience(api, m2m, spa):
    by_other = api.get("/api/v2/client-grants", {"client_id": spa.client_id})
    by_audience = api.get(
        "/api/v2/client-grants", {"audience": "https://else.example/", "include_totals": "true"}
    )

    assert by_other.json() == []
    assert by_audience.json() == {
        "start": 0,
        "limit": 50,
        "length": 0,
        "total": 0,
        "client_grants": [],
    }


def test_client_grants_need_read_client_grants(api_with, m2m):
    response = api_with("read:clients").get("/api/v2/client-grants")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "insufficient_scope"
