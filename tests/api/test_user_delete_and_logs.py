"""DELETE /api/v2/users/{id} and GET /api/v2/users/{id}/logs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session

from accounts.audit import Audit, Door
from accounts.events import log_event
from accounts.models import LogEvent, LogType, User, UserSession
from tests.api.test_logs import expected as expected_log
from tests.api.test_users_write import logged_in
from tests.factories import StaffFactory, UserFactory
from tests.management_api import error
from tickets.models import PasswordChangeTicket
from tickets.services import ticket_issue

pytestmark = pytest.mark.django_db
UNKNOWN_ID = "auth0|000000000000000000000000"


# --- DELETE /api/v2/users/{id} ---------------------------------------------------------------


def test_delete_removes_the_user_and_answers_204(api, user):
    response = api.delete(f"/api/v2/users/{user.user_id}")

    assert response.status_code == 204
    assert response.content == b""
    assert not User.objects.filter(pk=user.pk).exists()
    assert api.get(f"/api/v2/users/{user.user_id}").status_code == 404


def test_delete_ends_the_users_sessions(api, user):
    session_key = logged_in(user)

    api.delete(f"/api/v2/users/{user.user_id}")

    assert not Session.objects.filter(session_key=session_key).exists()
    assert not UserSession.objects.exists()


def test_delete_leaves_none_of_the_users_reset_links(api, user):
    ticket, _token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    api.delete(f"/api/v2/users/{user.user_id}")

    assert not PasswordChangeTicket.objects.filter(pk=ticket.pk).exists()


def test_delete_is_logged_once_sdu_with_the_id_kept(api, user, m2m):
    user_id, email = user.user_id, user.email

    api.delete(f"/api/v2/users/{user.user_id}")

    event = LogEvent.objects.get()
    assert event.type == "sdu"
    assert event.description == "Delete a User"
    assert event.user_id_text == user_id
    assert event.user_name == email
    assert event.client_id == m2m.client_id
    assert event.details["sessions"] == 0


def test_delete_of_an_unknown_id_is_204_as_in_auth0(api):
    response = api.delete(f"/api/v2/users/{UNKNOWN_ID}")

    assert response.status_code == 204
    assert not LogEvent.objects.exists()


def test_delete_of_a_staff_member_is_answered_as_an_unknown_id(api):
    admin = StaffFactory(email="admin@example.com")

    response = api.delete(f"/api/v2/users/{admin.user_id}")

    assert response.status_code == 204
    assert User.objects.filter(pk=admin.pk).exists()
    assert not LogEvent.objects.exists()


def test_delete_needs_delete_users(api_with, user):
    response = api_with("update:users").delete(f"/api/v2/users/{user.user_id}")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: delete:users", "insufficient_scope"
    )
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_leaves_other_users_alone(api, user, connection):
    other = UserFactory(connection=connection)
    logged_in(other)

    api.delete(f"/api/v2/users/{user.user_id}")

    assert User.objects.filter(pk=other.pk).exists()
    assert UserSession.objects.filter(user=other).count() == 1


# --- GET /api/v2/users/{id}/logs -------------------------------------------------------------


@pytest.fixture
def user_events(user, connection):
    other = UserFactory(connection=connection)
    made = []
    for day, who in [(1, user), (2, other), (3, user), (4, user)]:
        with time_machine.travel(datetime(2026, 3, day, 9, tzinfo=UTC), tick=False):
            made.append(
                log_event(type=LogType.SUCCESS_LOGIN, description="Successful login", user=who)
            )
    return [made[0], made[2], made[3]]


def test_user_logs_are_the_users_events_newest_first(api, user, user_events):
    response = api.get(f"/api/v2/users/{user.user_id}/logs")

    assert response.status_code == 200
    assert response.json() == [expected_log(e) for e in reversed(user_events)]


def test_user_logs_page_with_totals_as_auth0(api, user, user_events):
    response = api.get(
        f"/api/v2/users/{user.user_id}/logs",
        {"page": 1, "per_page": 2, "include_totals": "true", "sort": "date:1"},
    )

    assert response.json() == {
        "start": 2,
        "limit": 2,
        "length": 1,
        "total": 3,
        "logs": [expected_log(user_events[2])],
    }


def test_user_logs_of_an_unknown_user_are_404(api):
    response = api.get(f"/api/v2/users/{UNKNOWN_ID}/logs")

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")


def test_user_logs_of_a_staff_member_are_404_as_nobodys(api):
    admin = StaffFactory(email="admin@example.com")
    log_event(type=LogType.SUCCESS_LOGIN, description="Successful login", user=admin)

    response = api.get(f"/api/v2/users/{admin.user_id}/logs")

    assert response.status_code == 404
    assert response.json() == api.get(f"/api/v2/users/{UNKNOWN_ID}/logs").json()


def test_user_logs_refuse_q(api, user):
    response = api.get(f"/api/v2/users/{user.user_id}/logs", {"q": "type:s"})

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_query_string"


@pytest.mark.parametrize("scope", ["read:logs", "read:logs_users"])
def test_user_logs_take_either_logs_scope(api_with, user, user_events, scope):
    assert api_with(scope).get(f"/api/v2/users/{user.user_id}/logs").status_code == 200


def test_user_logs_need_a_logs_scope(api_with, user):
    response = api_with("read:users").get(f"/api/v2/users/{user.user_id}/logs")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: read:logs,read:logs_users", "insufficient_scope"
    )
