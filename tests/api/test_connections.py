"""Connections: list, get, and update their password options."""

from __future__ import annotations

import pytest

from accounts.models import Connection, LogEvent
from tests.factories import ApplicationFactory, SocialConnectionFactory
from tests.management_api import error

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
    "password_reset_method": "link",
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


def test_list_takes_several_strategies(api, connection, m2m):
    social = SocialConnectionFactory()

    response = api.get("/api/v2/connections?strategy=auth0&strategy=google-oauth2")

    assert response.json() == [
        expected(connection, [m2m.client_id], **GOOD_DEFAULTS),
        expected(social, []),
    ]


def test_list_with_fields_keeps_only_those(api, connection):
    response = api.get("/api/v2/connections", {"fields": "id,name"})

    assert response.json() == [{"id": connection.id, "name": connection.name}]


def test_get_with_fields_and_include_fields_false_drops_those(api, connection, m2m):
    response = api.get(
        f"/api/v2/connections/{connection.id}", {"fields": "options", "include_fields": "false"}
    )

    body = expected(connection, [m2m.client_id])
    del body["options"]
    assert response.json() == body


def test_get_returns_the_connection(api, connection, m2m):
    response = api.get(f"/api/v2/connections/{connection.id}")

    assert response.status_code == 200
    assert response.json() == expected(connection, [m2m.client_id], **GOOD_DEFAULTS)


def test_get_an_unknown_connection_is_404(api):
    response = api.get("/api/v2/connections/con_0000000000000000")

    assert response.status_code == 404
    assert response.json() == error(404, "The connection does not exist", "inexistent_connection")


def test_patch_sets_the_reset_method_to_code_and_back(api, connection):
    response = api.patch(
        f"/api/v2/connections/{connection.id}", {"options": {"password_reset_method": "code"}}
    )
    assert response.status_code == 200
    assert response.json()["options"]["password_reset_method"] == "code"
    connection.refresh_from_db()
    assert connection.password_reset_method == "code"
    assert connection.password_policy == "good"  # the other options keep their values
    refused = api.patch(
        f"/api/v2/connections/{connection.id}", {"options": {"password_reset_method": "sms"}}
    )
    assert refused.status_code == 400
    connection.refresh_from_db()
    assert connection.password_reset_method == "code"


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
        "password_reset_method": "link",
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


# --- Checkpoint paging -----------------------------------------------------------------------


def test_checkpoint_paging_answers_connections_and_next(api, connection, m2m):
    # Before: a bare array, on which auth0-python 5.x raised and node-auth0 5.x gave [].
    social = SocialConnectionFactory()
    first, second = sorted([connection, social], key=lambda c: c.id)

    page = api.get("/api/v2/connections", {"take": 1, "fields": "id"})
    rest = api.get("/api/v2/connections", {"take": 1, "from": page.json()["next"], "fields": "id"})

    assert page.status_code == 200
    assert page.json() == {"connections": [{"id": first.id}], "next": first.id}
    assert rest.json() == {"connections": [{"id": second.id}]}


def test_checkpoint_paging_with_take_alone_starts_at_the_beginning(api, connection, m2m):
    response = api.get("/api/v2/connections", {"take": 50})

    assert response.json() == {
        "connections": [expected(connection, [m2m.client_id], **GOOD_DEFAULTS)]
    }


def test_checkpoint_paging_never_shows_the_staff_realm(api, connection):
    ids = [c["id"] for c in api.get("/api/v2/connections", {"take": 100}).json()["connections"]]

    assert ids == [connection.id]


# --- The whole options object, enabled_clients ---------------------------------------------

AUTH0_OPTIONS = {
    **GOOD_DEFAULTS,
    "mfa": {"active": True, "return_enroll_settings": True},
    "import_mode": False,
    "disable_signup": False,
    "enabled_clients": [],
    "requires_username": False,
    "strategy_version": 2,
    "brute_force_protection": True,
    "authentication_methods": {"password": {"enabled": True}, "passkey": {"enabled": False}},
}


def test_patch_takes_the_whole_options_object_auth0_returns_and_keeps_it(api, connection, m2m):
    response = api.patch(f"/api/v2/connections/{connection.id}", {"options": AUTH0_OPTIONS})

    assert response.status_code == 200
    assert response.json() == {**expected(connection, [m2m.client_id]), "options": AUTH0_OPTIONS}
    assert api.get(f"/api/v2/connections/{connection.id}").json()["options"] == AUTH0_OPTIONS


def test_a_get_patched_back_as_it_came_changes_nothing(api, connection, m2m):
    api.patch(f"/api/v2/connections/{connection.id}", {"options": AUTH0_OPTIONS})
    before = api.get(f"/api/v2/connections/{connection.id}").json()
    body = {k: before[k] for k in ("display_name", "options", "enabled_clients")}

    response = api.patch(f"/api/v2/connections/{connection.id}", body)

    assert response.json() == before


def test_options_sent_again_replace_the_kept_ones_as_in_auth0(api, connection, m2m):
    api.patch(f"/api/v2/connections/{connection.id}", {"options": AUTH0_OPTIONS})

    response = api.patch(
        f"/api/v2/connections/{connection.id}", {"options": {"brute_force_protection": False}}
    )

    assert response.json()["options"] == {**GOOD_DEFAULTS, "brute_force_protection": False}


def test_kept_options_are_still_checked_where_rekey_applies_them(api, connection):
    response = api.patch(
        f"/api/v2/connections/{connection.id}",
        {"options": {**AUTH0_OPTIONS, "password_history": {"enable": True, "size": 99}}},
    )

    assert response.status_code == 400
    connection.refresh_from_db()
    assert connection.options_extra == {}


def test_oversized_options_are_400(api, connection):
    response = api.patch(
        f"/api/v2/connections/{connection.id}", {"options": {"blob": "x" * 70_000}}
    )

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Payload validation error: 'The options may not exceed 65536 bytes' on property options.",
        "invalid_body",
    )


def test_a_social_connection_keeps_options_but_takes_no_password_policy(api, m2m):
    social = SocialConnectionFactory()

    kept = api.patch(f"/api/v2/connections/{social.id}", {"options": {"scope": ["email"]}})
    refused = api.patch(f"/api/v2/connections/{social.id}", {"options": {"passwordPolicy": "low"}})

    assert kept.json()["options"] == {"scope": ["email"]}
    assert refused.status_code == 400


def test_patch_is_logged_once(api, connection, m2m):
    api.patch(
        f"/api/v2/connections/{connection.id}",
        {"display_name": "Staff DB", "options": AUTH0_OPTIONS, "enabled_clients": []},
    )

    event = LogEvent.objects.get()
    assert (event.type, event.description) == ("sapi", "Update a connection")
    assert event.client_id == m2m.client_id
    assert event.details == {"fields": ["display_name", "enabled_clients", "options"]}


def test_patch_enabled_clients_sets_them(api, connection, m2m):
    spa = ApplicationFactory(connections=[SocialConnectionFactory()])

    response = api.patch(
        f"/api/v2/connections/{connection.id}", {"enabled_clients": [spa.client_id]}
    )

    assert response.json()["enabled_clients"] == [spa.client_id]
    assert list(connection.applications.all()) == [spa]


def test_patch_enabled_clients_with_an_unknown_client_is_400(api, connection, m2m):
    response = api.patch(f"/api/v2/connections/{connection.id}", {"enabled_clients": ["nope"]})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Payload validation error: 'Client nope does not exist' on property enabled_clients.",
        "invalid_body",
    )
    assert list(connection.applications.all()) == [m2m.application]


# --- /api/v2/connections/{id}/clients -------------------------------------------------------


def test_connection_clients_lists_the_enabled_client_ids(api, connection, m2m):
    spa = ApplicationFactory(connections=[connection])
    first, second = sorted([m2m.client_id, spa.client_id])

    page = api.get(f"/api/v2/connections/{connection.id}/clients", {"take": 1})
    rest = api.get(f"/api/v2/connections/{connection.id}/clients", {"from": page.json()["next"]})

    assert page.json() == {"clients": [{"client_id": first}], "next": first}
    assert rest.json() == {"clients": [{"client_id": second}]}


def test_connection_clients_patch_enables_and_disables(api, connection, m2m):
    spa = ApplicationFactory(connections=[SocialConnectionFactory()])

    response = api.patch(
        f"/api/v2/connections/{connection.id}/clients",
        [
            {"client_id": spa.client_id, "status": True},
            {"client_id": m2m.client_id, "status": False},
        ],
    )

    assert response.status_code == 204
    assert list(connection.applications.all()) == [spa]
    event = LogEvent.objects.get()
    assert event.details == {"enabled": [spa.client_id], "disabled": [m2m.client_id]}


def test_the_staff_realms_clients_are_404_as_nobodys(api, m2m):
    from accounts.selectors import staff_connection

    realm = staff_connection()

    got = api.get(f"/api/v2/connections/{realm.id}/clients")
    changed = api.patch(
        f"/api/v2/connections/{realm.id}/clients", [{"client_id": m2m.client_id, "status": True}]
    )

    assert got.status_code == changed.status_code == 404
    assert got.json() == error(404, "The connection does not exist", "inexistent_connection")
    assert not realm.applications.exists()
