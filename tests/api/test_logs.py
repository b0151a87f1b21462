"""Log events: search by page or checkpoint, and get one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.events import log_event
from accounts.models import LogEvent, LogType
from tests.api.test_users import auth0_date
from tests.management_api import error

pytestmark = pytest.mark.django_db


def expected(event: LogEvent) -> dict:
    return {
        "log_id": event.log_id,
        "date": auth0_date(event.date),
        "type": event.type,
        "description": event.description,
        "client_id": event.client_id,
        "client_name": event.client_name,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "user_id": event.user_id_text,
        "user_name": event.user_name,
        "connection": event.connection,
        "connection_id": event.connection_id,
        "details": event.details,
    }


@pytest.fixture
def events(user):
    made = []
    for day, kind in [
        (1, LogType.SUCCESS_LOGIN),
        (2, LogType.SUCCESS_CHANGE_PASSWORD),
        (3, LogType.FAILED_CHANGE_PASSWORD),
    ]:
        with time_machine.travel(datetime(2026, 2, day, 10, tzinfo=UTC), tick=False):
            made.append(
                log_event(
                    type=kind,
                    description=kind.label,
                    user=user if day != 1 else None,
                    ip="192.0.2.1",
                    details={"door": "api"},
                )
            )
    return made


def test_list_returns_events_newest_first(api, events):
    first, second, third = events

    response = api.get("/api/v2/logs")

    assert response.status_code == 200
    assert response.json() == [expected(third), expected(second), expected(first)]


def test_list_with_totals_and_ascending_sort(api, events):
    first, second, _ = events

    response = api.get("/api/v2/logs", {"sort": "date:1", "per_page": 2, "include_totals": "true"})

    assert response.json() == {
        "start": 0,
        "limit": 2,
        "length": 2,
        "total": 3,
        "logs": [expected(first), expected(second)],
    }


@pytest.mark.parametrize(
    ("q", "indexes"),
    [
        ("type:scp", [1]),
        ("type:s*", [1, 0]),
        ("date:2026-02-02", [1]),
        ("date:[2026-02-02 TO *]", [2, 1]),
        ("date:{2026-02-01 TO 2026-02-03}", [1]),
        ("ip:192.0.2.1 AND type:fcp", [2]),
    ],
)
def test_q_filters_on_type_and_date(api, events, q, indexes):
    response = api.get("/api/v2/logs", {"q": q})

    assert response.status_code == 200
    assert [e["log_id"] for e in response.json()] == [events[i].log_id for i in indexes]


def test_q_filters_on_the_user(api, events, user):
    response = api.get("/api/v2/logs", {"q": f'user_id:"{user.user_id}"'})

    assert [e["log_id"] for e in response.json()] == [events[2].log_id, events[1].log_id]


def test_search_filters_as_q_does(api, events):
    # auth0-python and node-auth0 send the query as ``search``: it used to be ignored.
    response = api.get("/api/v2/logs", {"search": "type:scp"})

    assert response.status_code == 200
    assert response.json() == [expected(events[1])]


def test_fields_keeps_only_the_properties_named(api, events):
    response = api.get("/api/v2/logs", {"fields": "log_id,type", "per_page": 1})

    assert response.json() == [{"log_id": events[2].log_id, "type": "fcp"}]


def test_fields_with_include_fields_false_drops_them(api, events):
    response = api.get(
        "/api/v2/logs", {"fields": "details,user_agent", "include_fields": "false", "per_page": 1}
    )

    body = expected(events[2])
    del body["details"], body["user_agent"]
    assert response.json() == [body]


def test_fields_apply_to_checkpoint_paging(api, events):
    response = api.get("/api/v2/logs", {"from": events[0].log_id, "take": 5, "fields": "type"})

    assert response.json() == [{"type": "scp"}, {"type": "fcp"}]


def test_read_logs_users_is_enough_to_read_logs(api_with, events):
    response = api_with("read:logs_users").get("/api/v2/logs")

    assert response.status_code == 200
    assert len(response.json()) == 3


def test_checkpoint_paging_returns_the_events_after_from_oldest_first(api, events):
    first, second, third = events

    response = api.get("/api/v2/logs", {"from": first.log_id, "take": 1})

    assert response.json() == [expected(second)]
    response = api.get("/api/v2/logs", {"from": second.log_id, "take": 10})
    assert response.json() == [expected(third)]


def test_take_over_100_is_a_400(api):
    response = api.get("/api/v2/logs", {"take": 101})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Query validation error: 'Ensure this value is less than or equal to 100.' "
        "on property take.",
        "invalid_query_string",
    )


def test_an_unsupported_field_in_q_is_a_400(api):
    response = api.get("/api/v2/logs", {"q": "details.door:api"})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Query validation error: 'searching on details.door is not supported' on property q.",
        "invalid_query_string",
    )


def test_get_returns_one_event(api, events):
    response = api.get(f"/api/v2/logs/{events[0].log_id}")

    assert response.status_code == 200
    assert response.json() == expected(events[0])


def test_get_an_unknown_event_is_404(api):
    response = api.get("/api/v2/logs/nope")

    assert response.status_code == 404
    assert response.json() == error(404, "Log event not found", "inexistent_log")


def test_logs_need_read_logs(api_with):
    response = api_with("read:users").get("/api/v2/logs")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: read:logs,read:logs_users", "insufficient_scope"
    )
