"""Auth0's refresh-token routes: list and revoke a user's, get and revoke one, with their scopes."""

from __future__ import annotations

import pytest

from accounts.models import LogEvent
from tests.factories import StaffFactory, UserFactory
from tests.oidc.test_revocation_doors import Tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(connection):
    return UserFactory(connection=connection, email="ada@example.com")


@pytest.fixture
def tokens(connection, user) -> Tokens:
    return Tokens(connection, user)


def _only_id(api, user) -> str:
    body = api.get(f"/api/v2/users/{user.user_id}/refresh-tokens").json()
    assert len(body["tokens"]) == 1
    return body["tokens"][0]["id"]


def test_a_users_refresh_tokens_are_listed_without_the_token(api, user, tokens):
    response = api.get(f"/api/v2/users/{user.user_id}/refresh-tokens")

    assert response.status_code == 200
    (token,) = response.json()["tokens"]
    assert token["user_id"] == user.user_id
    assert token["client_id"] == tokens.app.client_id
    assert token["rotating"] is True
    assert tokens.refresh_token not in response.content.decode()


def test_delete_a_users_refresh_tokens(api, user, tokens):
    response = api.delete(f"/api/v2/users/{user.user_id}/refresh-tokens")

    assert response.status_code == 202
    assert tokens.refresh().status_code == 400
    assert api.get(f"/api/v2/users/{user.user_id}/refresh-tokens").json() == {"tokens": []}
    assert LogEvent.objects.filter(type="srrt", user=user).count() == 1


def test_get_one_refresh_token(api, user, tokens):
    token_id = _only_id(api, user)

    response = api.get(f"/api/v2/refresh-tokens/{token_id}")

    assert response.status_code == 200
    assert response.json()["id"] == token_id


def test_delete_one_refresh_token(api, user, tokens):
    token_id = _only_id(api, user)

    response = api.delete(f"/api/v2/refresh-tokens/{token_id}")

    assert response.status_code == 202
    assert tokens.refresh().status_code == 400
    assert api.get(f"/api/v2/refresh-tokens/{token_id}").status_code == 404


def test_an_unknown_refresh_token_is_404(api):
    response = api.get("/api/v2/refresh-tokens/rt_nope")

    assert response.status_code == 404
    assert response.json()["message"] == "The refresh token does not exist."


@pytest.mark.parametrize(
    ("method", "scope"),
    [("get", "read:refresh_tokens"), ("delete", "delete:refresh_tokens")],
)
def test_each_operation_needs_its_scope(api_with, user, tokens, method, scope):
    url = f"/api/v2/users/{user.user_id}/refresh-tokens"

    refused = getattr(api_with("read:users"), method)(url)
    allowed = getattr(api_with(scope), method)(url)

    assert refused.status_code == 403
    assert allowed.status_code in (200, 202)


def test_a_staff_members_id_is_an_unknown_user(api):
    staff = StaffFactory()

    response = api.get(f"/api/v2/users/{staff.user_id}/refresh-tokens")

    assert response.status_code == 404
