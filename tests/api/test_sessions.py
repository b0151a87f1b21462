"""GET /api/v2/users/{id}/sessions, GET and DELETE /api/v2/sessions/{id}."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session

from accounts.models import LogEvent, User, UserSession
from tests.api.test_users_write import logged_in
from tests.factories import StaffFactory, UserFactory
from tests.management_api import error

pytestmark = pytest.mark.django_db
UNKNOWN_ID = "auth0|000000000000000000000000"


def expected(session: UserSession) -> dict:
    expires = Session.objects.get(session_key=session.session_key).expire_date
    expires_text = expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{expires.microsecond // 1000:03d}Z"
    )
    return {
        "id": session.sid,
        "user_id": session.user.user_id,
        "created_at": "2026-04-01T09:00:00.000Z",
        "updated_at": "2026-04-01T09:00:00.000Z",
        "authenticated_at": "2026-04-01T09:00:00.000Z",
        "last_interacted_at": "2026-04-01T09:00:00.000Z",
        "expires_at": expires_text,
        "idle_expires_at": expires_text,
        "device": {
            "initial_user_agent": "Firefox",
            "initial_ip": "192.0.2.7",
            "last_user_agent": "Firefox",
            "last_ip": "192.0.2.7",
        },
        "clients": [],
        "authentication": {"methods": [{"name": "pwd", "timestamp": "2026-04-01T09:00:00.000Z"}]},
    }


def signed_in(user: User) -> UserSession:
    with time_machine.travel(datetime(2026, 4, 1, 9, tzinfo=UTC), tick=False):
        key = logged_in(user)
        UserSession.objects.filter(session_key=key).update(
            ip="192.0.2.7",
            user_agent="Firefox",
            created_at=datetime(2026, 4, 1, 9, tzinfo=UTC),
            last_seen_at=datetime(2026, 4, 1, 9, tzinfo=UTC),
        )
    return UserSession.objects.get(session_key=key)


def test_user_sessions_list_in_auth0s_shape(api, user):
    first, second = signed_in(user), signed_in(user)
    signed_in(UserFactory(connection=user.connection))

    response = api.get(f"/api/v2/users/{user.user_id}/sessions")

    assert response.status_code == 200
    assert response.json() == {"sessions": [expected(first), expected(second)]}


def test_the_session_key_never_leaves(api, user):
    session = signed_in(user)

    response = api.get(f"/api/v2/users/{user.user_id}/sessions")

    assert session.session_key not in response.content.decode()


def test_user_sessions_page_by_checkpoint(api, user):
    first, second, third = signed_in(user), signed_in(user), signed_in(user)

    page = api.get(f"/api/v2/users/{user.user_id}/sessions", {"take": 2}).json()
    rest = api.get(f"/api/v2/users/{user.user_id}/sessions", {"from": page["next"], "take": 2})

    assert page == {"sessions": [expected(first), expected(second)], "next": second.sid}
    assert rest.json() == {"sessions": [expected(third)]}


def test_user_sessions_from_an_unknown_checkpoint_is_400(api, user):
    response = api.get(f"/api/v2/users/{user.user_id}/sessions", {"from": "nope"})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Query validation error: 'from is not a session of this user' on property from.",
        "invalid_query_string",
    )


def test_user_sessions_of_a_staff_member_are_404_as_nobodys(api):
    admin = StaffFactory(email="admin@example.com")
    signed_in(admin)

    response = api.get(f"/api/v2/users/{admin.user_id}/sessions")

    assert response.status_code == 404
    assert response.json() == api.get(f"/api/v2/users/{UNKNOWN_ID}/sessions").json()


def test_user_sessions_need_read_sessions(api_with, user):
    response = api_with("read:users").get(f"/api/v2/users/{user.user_id}/sessions")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: read:sessions", "insufficient_scope"
    )


def test_get_a_session(api, user):
    session = signed_in(user)

    response = api.get(f"/api/v2/sessions/{session.sid}")

    assert response.status_code == 200
    assert response.json() == expected(session)


def test_get_an_unknown_session_is_404(api):
    response = api.get("/api/v2/sessions/nope")

    assert response.status_code == 404
    assert response.json() == error(404, "The session does not exist", "inexistent_session")


def test_a_staff_members_session_is_404_as_nobodys(api):
    session = signed_in(StaffFactory(email="admin@example.com"))

    got = api.get(f"/api/v2/sessions/{session.sid}")
    deleted = api.delete(f"/api/v2/sessions/{session.sid}")

    assert got.status_code == deleted.status_code == 404
    assert got.json() == api.get("/api/v2/sessions/nope").json()
    assert Session.objects.filter(session_key=session.session_key).exists()


def test_delete_a_session_signs_that_browser_out_and_logs_once(api, user, m2m):
    session, other = signed_in(user), signed_in(user)

    response = api.delete(f"/api/v2/sessions/{session.sid}")

    assert response.status_code == 200
    assert not Session.objects.filter(session_key=session.session_key).exists()
    assert not UserSession.objects.filter(pk=session.pk).exists()
    assert Session.objects.filter(session_key=other.session_key).exists()
    event = LogEvent.objects.get()
    assert (event.type, event.description) == ("sapi", "Delete a session")
    assert event.user_id_text == user.user_id
    assert event.client_id == m2m.client_id
    assert event.details == {"session_id": session.sid}


def test_delete_a_session_needs_delete_sessions(api_with, user):
    session = signed_in(user)

    response = api_with("read:sessions").delete(f"/api/v2/sessions/{session.sid}")

    assert response.status_code == 403
    assert UserSession.objects.filter(pk=session.pk).exists()
