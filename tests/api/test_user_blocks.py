"""``/api/v2/user-blocks``: brute-force blocks by user id or identifier, read and removed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts import bruteforce
from accounts.models import LogEvent, LoginBlock, LogType
from tests.factories import UserFactory
from tests.management_api import error

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"


def block(user, ip: str = IP, identifier: str | None = None) -> None:
    for _ in range(10):
        bruteforce.login_failure_record(
            ip=ip,
            identifier=identifier or user.email,
            connection=user.connection.name,
            user=user,
        )


def test_get_by_id_lists_the_blocked_pairs(api, user):
    block(user)
    block(user, ip="2001:db8::1")

    response = api.get(f"/api/v2/user-blocks/{user.user_id}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "blocked_for": [
            {"identifier": user.email, "ip": "2001:db8::1", "connection": user.connection.name},
            {"identifier": user.email, "ip": IP, "connection": user.connection.name},
        ]
    }


def test_get_by_id_of_an_unblocked_user_is_an_empty_list(api, user):
    assert api.get(f"/api/v2/user-blocks/{user.user_id}").json() == {"blocked_for": []}


def test_get_by_id_of_an_unknown_user_is_404(api, db):
    response = api.get("/api/v2/user-blocks/auth0|nobody")

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")


def test_delete_by_id_unblocks_and_logs(api, user, client):
    block(user)
    started = timezone.now()

    response = api.delete(f"/api/v2/user-blocks/{user.user_id}")

    assert response.status_code == 204
    assert response.content == b""
    assert LoginBlock.objects.count() == 0
    assert not bruteforce.login_blocked(
        ip=IP, identifier=user.email, connection=user.connection.name
    )
    # One row for the action, written by the service (no second sapi by the door).
    [released] = LogEvent.objects.filter(user=user, date__gte=started)
    assert (released.type, released.details["door"]) == (LogType.BLOCK_RELEASED, "api")


def test_get_by_identifier_matches_the_normalised_email(api, connection):
    user = UserFactory(email="Victim@Example.com", connection=connection)
    block(user, identifier="ＶＩＣＴＩＭ＠example.com")  # noqa: RUF001 (a full-width variant)

    response = api.get("/api/v2/user-blocks", {"identifier": "victim@example.com"})

    assert response.status_code == 200
    assert response.json() == {
        "blocked_for": [{"identifier": user.email, "ip": IP, "connection": connection.name}]
    }


def test_delete_by_identifier_unblocks(api, user):
    block(user)

    response = api.delete(f"/api/v2/user-blocks?identifier={user.email}")

    assert response.status_code == 204
    assert LoginBlock.objects.count() == 0


def test_identifier_is_required(api, db):
    response = api.get("/api/v2/user-blocks")

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_query_string"


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("get", "/api/v2/user-blocks/{id}", "read:users"),
        ("delete", "/api/v2/user-blocks/{id}", "update:users"),
        ("get", "/api/v2/user-blocks?identifier={email}", "read:users"),
        ("delete", "/api/v2/user-blocks?identifier={email}", "update:users"),
    ],
)
def test_each_operation_needs_its_scope(api_with, user, method, path, scope):
    block(user)
    url = path.format(id=user.user_id, email=user.email)
    without = api_with("read:logs")

    response = getattr(without, method)(url)

    assert response.status_code == 403
    assert response.json() == error(
        403, f"Insufficient scope, expected any of: {scope}", "insufficient_scope"
    )
    assert LoginBlock.objects.count() == 1
    assert getattr(api_with(scope), method)(url).status_code in (200, 204)


def test_blocks_of_staff_are_nobodys_by_identifier(api, connection):
    staff = UserFactory(connection=connection, is_staff=True)
    block(staff)

    assert api.get("/api/v2/user-blocks", {"identifier": staff.email}).json() == {"blocked_for": []}
    api.delete(f"/api/v2/user-blocks?identifier={staff.email}")
    assert LoginBlock.objects.count() == 1
