"""Connections: list, get, and update their password options."""

from __future__ import annotations

import pytest

from accounts.models import Connection, LogEvent
from tests.api.conftest import error
from tests.factories import SocialConnectionFactory

pytestmark = pytest.mark.django_db


def expected(connection: Connection, enabled_clients: list[str], **options) -> dict:
    return {
        "id": connection.id,
        "name": connection.name,
        "display_name": connection.display_name or connection.name,
        "strategy": connection.strategy,
        "realms": [connection.name],
        "is_domain_connection": False,
        "enabled_clients": enabled_clients,
        "options": options,
    }


GOOD_DEFAULTS = {
    "passwordPolicy": "good",
    "password_complexity_options": {"min_length": 8},
    "password_history": {"enable": False, "size": 5},
    "password_no_personal_info": {"enable": False},
    "password_dictionary": {"enable": False, "dictionary": []},
}


def test_list_returns_every_connection_with_its_password_options(api, connection, m2m):
    social = SocialConnectionFactory()

    response = api.get("/api/v2/connections")

    assert response.status_code == 200
    assert response.json() == [
        expected(connection, [m2m.client_id], **GOOD_DEFAULTS),
        expected(social, []),
    ]


def test_list_filters_by_strategy_with_totals(api, connection, m2m):
    SocialConnectionFactory()

    response = api.get("/api/v2/connections", {"strategy": "auth0", "include_totals": "true"})

    assert response.json() == {
        "start": 0,
        "limit": 50,
        "total": 1,
        "connections": [expected(connection, [m2m.client_id], **GOOD_DEFAULTS)],
    }


def test_get_returns_the_connection(api, connection, m2m):
    response = api.get(f"/api/v2/connections/{connection.id}")

    assert response.status_code == 200
    assert response.json() == expected(connection, [m2m.client_id], **GOOD_DEFAULTS)


def test_get_an_unknown_connection_is_404(api):
    response = api.get("/api/v2/connections/con_0000000000000000")

    assert response.status_code == 404
    assert response.json() == error(404, "The connection does not exist", "inexistent_connection")


def test_patch_sets_the_password_options_and_logs_sapi(api, connection, m2m):
    response = api.patch(
        f"/api/v2/connections/{connection.id}",
        {
            "options": {
                "passwordPolicy": "excellent",
                "password_complexity_options": {"min_length": 12},
                "password_history": {"enable": True, "size": 10},
                "password_no_personal_info": {"enable": True},
                "password_dictionary": {"enable": True, "dictionary": ["acme", "rekey"]},
            }
        },
    )

    assert response.status_code == 200
    options = {
        "passwordPolicy": "excellent",
        "password_complexity_options": {"min_length": 12},
        "password_history": {"enable": True, "size": 10},
        "password_no_personal_info": {"enable": True},
        "password_dictionary": {"enable": True, "dictionary": ["acme", "rekey"]},
    }
    assert response.json() == expected(connection, [m2m.client_id], **options)
    connection.refresh_from_db()
    assert connection.password_policy == "excellent"
    assert connection.min_length == 12
    assert connection.dictionary == ["acme", "rekey"]
    event = LogEvent.objects.get(type="sapi")
    assert event.connection_id == connection.id


def test_patch_keeps_the_options_not_sent(api, connection):
    connection.history_enable = True
    connection.save()

    response = api.patch(
        f"/api/v2/connections/{connection.id}", {"options": {"passwordPolicy": "fair"}}
    )

    assert response.json()["options"]["passwordPolicy"] == "fair"
    assert response.json()["options"]["password_history"] == {"enable": True, "size": 5}


def test_the_new_policy_applies_to_the_next_password_change(api, connection, user):
    api.patch(f"/api/v2/connections/{connection.id}", {"options": {"passwordPolicy": "low"}})

    response = api.patch(f"/api/v2/users/{user.user_id}", {"password": "simple"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"passwordPolicy": "extreme"},
            "'\"extreme\" is not a valid choice.' on property options.passwordPolicy",
        ),
        (
            {"password_complexity_options": {"min_length": 129}},
            "'Ensure this value is less than or equal to 128.' on property "
            "options.password_complexity_options.min_length",
        ),
        (
            {"password_history": {"enable": True, "size": 25}},
            "'Ensure this value is less than or equal to 24.' on property "
            "options.password_history.size",
        ),
        (
            {"password_dictionary": {"enable": True, "dictionary": ["w"] * 201}},
            "'Ensure this field has no more than 200 elements.' on property "
            "options.password_dictionary.dictionary",
        ),
        (
            {"brute_force_protection": True},
            "'Additional properties not allowed: brute_force_protection' on property options",
        ),
    ],
)
def test_patch_refuses_invalid_options(api, connection, options, message):
    response = api.patch(f"/api/v2/connections/{connection.id}", {"options": options})

    assert response.status_code == 400
    assert response.json() == error(400, f"Payload validation error: {message}.", "invalid_body")


def test_patch_password_options_of_a_social_connection_is_400(api):
    social = SocialConnectionFactory()

    response = api.patch(
        f"/api/v2/connections/{social.id}", {"options": {"passwordPolicy": "good"}}
    )

    assert response.status_code == 400
    assert response.json() == error(
        400, "Password options apply to database connections only", "operation_not_supported"
    )


def test_patch_needs_update_connections(api_with, connection):
    response = api_with("read:connections").patch(
        f"/api/v2/connections/{connection.id}", {"display_name": "x"}
    )

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: update:connections", "insufficient_scope"
    )
