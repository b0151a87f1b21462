"""Every password change, and force sign-in, ends what applications hold: a refresh token
obtained before is refused after, and the access token no longer opens /userinfo."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import bcrypt
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.audit import Audit, Door
from accounts.models import LogEvent, RefreshToken
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from tests.oidc.helpers import PASSWORD_REALM, confidential
from tickets.services import ticket_issue

pytestmark = pytest.mark.django_db
NEW = "Brand-New-Pass-9"


@pytest.fixture
def user(connection):
    return UserFactory(connection=connection, email="ada@example.com")


class Tokens:
    """A server-side app signed the user in with password-realm and offline_access."""

    def __init__(self, connection, user) -> None:
        self.app, self.secret = confidential(connection)
        self.client = Client()
        body = self._token(
            {
                "grant_type": PASSWORD_REALM,
                "username": user.email,
                "password": DEFAULT_PASSWORD,
                "realm": connection.name,
                "scope": "openid email offline_access",
            }
        ).json()
        self.refresh_token = body["refresh_token"]
        self.access_token = body["access_token"]

    def _token(self, data):
        data = {"client_id": self.app.client_id, "client_secret": self.secret, **data}
        return self.client.post(
            "/oauth/token", urlencode(data), content_type="application/x-www-form-urlencoded"
        )

    def refresh(self):
        return self._token({"grant_type": "refresh_token", "refresh_token": self.refresh_token})

    def userinfo(self):
        return self.client.get("/userinfo", HTTP_AUTHORIZATION=f"Bearer {self.access_token}")

    def assert_ended(self) -> None:
        response = self.refresh()
        assert response.status_code == 400, response.content
        assert response.json()["error"] == "invalid_grant"
        assert self.userinfo().status_code == 401


@pytest.fixture
def tokens(connection, user) -> Tokens:
    held = Tokens(connection, user)
    assert held.userinfo().status_code == 200
    return held


def test_tokens_work_until_something_ends_them(tokens):
    assert tokens.refresh().status_code == 200


def test_a_reset_by_link_ends_them(client, user, tokens):
    _, ticket = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    client.get("/u/reset-password", {"ticket": ticket})

    client.post("/u/reset-password/set", {"password": NEW, "password2": NEW})

    user.refresh_from_db()
    assert user.check_password(NEW)
    tokens.assert_ended()


def test_a_management_api_patch_ends_them(api, user, tokens):
    response = api.patch(
        f"/api/v2/users/{user.user_id}", {"password": NEW, "connection": user.connection.name}
    )

    assert response.status_code == 200
    tokens.assert_ended()


def test_the_danger_zone_ends_them(client, user, tokens):
    client.force_login(StaffFactory())

    response = client.post(
        reverse("dashboard:user-password-change", args=[user.user_id]),
        {"new_password1": NEW, "new_password2": NEW, "confirm": "on"},
    )

    assert response.status_code == 302
    tokens.assert_ended()


def test_changepassword_ends_them(tmp_path, user, tokens):
    secret = tmp_path / "pw"
    secret.write_text(NEW + "\n")

    call_command("changepassword", user.email, password_file=str(secret))

    tokens.assert_ended()


def test_an_import_upsert_ends_them(tmp_path, user, tokens):
    value = bcrypt.hashpw(b"Imported-Pass-7", bcrypt.gensalt(4)).decode()
    path = tmp_path / "users.json"
    entry = {
        "email": user.email,
        "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": value}},
    }
    path.write_text(json.dumps([entry]))

    call_command("import_users", str(path), connection=user.connection.name, upsert=True)

    tokens.assert_ended()


def test_force_sign_in_from_the_dashboard_ends_them(client, user, tokens):
    client.force_login(StaffFactory())

    response = client.post(
        reverse("dashboard:user-force-sign-in", args=[user.user_id]), {"confirm": "on"}
    )

    assert response.status_code == 302
    tokens.assert_ended()


def test_force_sign_in_command_ends_them(user, tokens):
    call_command("force_sign_in", user.email)

    tokens.assert_ended()


def test_delete_user_sessions_ends_them(api, user, tokens):
    response = api.delete(f"/api/v2/users/{user.user_id}/sessions")

    assert response.status_code == 202
    tokens.assert_ended()


def test_the_password_change_logs_one_row_for_everything(api, user, tokens):
    api.patch(
        f"/api/v2/users/{user.user_id}", {"password": NEW, "connection": user.connection.name}
    )

    assert LogEvent.objects.filter(user=user, type="scp").count() == 1
    assert not LogEvent.objects.filter(user=user, type="srrt").exists()
    assert RefreshToken.objects.get(user=user).revoked_at is not None
