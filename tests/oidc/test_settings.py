"""Applications' sign-in settings: the dashboard, seed_demo and CORS from allowed web origins."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from accounts.models import Application, ClientGrant
from accounts.scopes import management_audience
from tests.factories import ApplicationFactory
from tests.oidc.helpers import PASSWORD_REALM

pytestmark = pytest.mark.django_db


def test_seed_demo_configures_every_flow(capsys):
    call_command("seed_demo", "--json", users=0)
    result = json.loads(capsys.readouterr().out)

    spa = Application.objects.get(client_id=result["spa"]["client_id"])
    assert spa.callbacks == ["http://localhost:3000/callback"]
    assert spa.allowed_logout_urls == ["http://localhost:3000"]
    assert spa.web_origins == ["http://localhost:3000"]
    web = Application.objects.get(client_id=result["web"]["client_id"])
    assert PASSWORD_REALM in web.grant_types
    scopes = ClientGrant.objects.get(
        application__client_id=result["m2m"]["client_id"], audience=management_audience()
    ).scopes
    assert {
        "read:sessions",
        "delete:sessions",
        "read:refresh_tokens",
        "delete:refresh_tokens",
    } <= set(scopes)


def test_cors_preflight_for_the_token_endpoint_from_a_web_origin(client, connection):
    ApplicationFactory(connections=[connection], web_origins=["http://localhost:3000"])

    allowed = client.options(
        "/oauth/token",
        HTTP_ORIGIN="http://localhost:3000",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    refused = client.options(
        "/oauth/token",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert allowed["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "Access-Control-Allow-Origin" not in refused
