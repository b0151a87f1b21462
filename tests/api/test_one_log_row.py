"""Issue 9: every Management API write is logged once, by its service; the door writes nothing.

Force sign-in, unblocking and the token and authenticator deletions used to log a second
``sapi`` at the door after the service's own row.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone

from accounts.models import LogEvent
from tests.api.test_user_blocks import block
from tests.api.test_users_write import logged_in
from tests.factories import UserFactory
from tests.oidc.test_revocation_doors import Tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(connection):
    return UserFactory(connection=connection, email="ada@example.com")


def _sessions(api, user, connection) -> str:
    logged_in(user)
    return f"/api/v2/users/{user.user_id}/sessions"


def _refresh_tokens(api, user, connection) -> str:
    Tokens(connection, user)
    return f"/api/v2/users/{user.user_id}/refresh-tokens"


def _one_refresh_token(api, user, connection) -> str:
    Tokens(connection, user)
    [token] = api.get(f"/api/v2/users/{user.user_id}/refresh-tokens").json()["tokens"]
    return f"/api/v2/refresh-tokens/{token['id']}"


def _authenticators(api, user, connection) -> str:
    return f"/api/v2/users/{user.user_id}/authenticators"


def _blocks(api, user, connection) -> str:
    block(user)
    return f"/api/v2/user-blocks/{user.user_id}"


DELETES: dict[str, Callable] = {
    "force sign-in (ssr)": _sessions,
    "a user's refresh tokens": _refresh_tokens,
    "one refresh token": _one_refresh_token,
    "authenticators": _authenticators,
    "user blocks": _blocks,
}


@pytest.mark.parametrize("prepare", DELETES.values(), ids=DELETES.keys())
def test_a_delete_writes_exactly_one_log_row(api, user, connection, m2m, prepare):
    path = prepare(api, user, connection)
    before = set(LogEvent.objects.values_list("pk", flat=True))
    started = timezone.now()

    response = api.delete(path)

    assert response.status_code in (202, 204), response.content
    new = LogEvent.objects.exclude(pk__in=before).filter(date__gte=started)
    assert new.count() == 1, list(new.values_list("type", "description"))
    assert new.get().client_id == m2m.client_id


def test_patch_blocked_writes_exactly_one_log_row(api, user, m2m):
    before = set(LogEvent.objects.values_list("pk", flat=True))

    response = api.patch(f"/api/v2/users/{user.user_id}", {"blocked": True})

    assert response.status_code == 200
    new = LogEvent.objects.exclude(pk__in=before)
    assert new.count() == 1, list(new.values_list("type", "description"))
    assert new.get().client_id == m2m.client_id


def test_a_connection_patch_writes_one_row_with_the_client_id(api, connection, m2m):
    before = set(LogEvent.objects.values_list("pk", flat=True))

    response = api.patch(f"/api/v2/connections/{connection.id}", {"display_name": "Staff DB"})

    assert response.status_code == 200, response.content
    [event] = LogEvent.objects.exclude(pk__in=before)
    assert (event.type, event.client_id) == ("sapi", m2m.client_id)
