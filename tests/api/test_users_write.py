"""Users: create, update (a password too) and force sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from accounts.audit import Audit, Door
from accounts.models import LogEvent, User, UserSession
from emails.models import EmailDelivery
from tests.api.test_users import expected
from tests.factories import DEFAULT_PASSWORD, SocialConnectionFactory, UserFactory
from tests.management_api import error
from tickets.models import PasswordChangeTicket, TicketStatus
from tickets.services import ticket_issue

pytestmark = pytest.mark.django_db
STRONG = "Granite-Orbit-73!"
WEAK_RULES = [
    {"code": "password_too_short", "message": "At least 8 characters."},
    {
        "code": "password_character_classes",
        "message": "Contains at least 3 of: lower case letters (a-z), upper case letters (A-Z), "
        "numbers (0-9), special characters (e.g. !@#$%^&*).",
    },
]


def weak_password_error() -> dict:
    return error(
        400,
        "PasswordStrengthError: Password is too weak",
        "password_strength_error",
        rules=WEAK_RULES,
    )


def logged_in(user: User) -> str:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    UserSession.objects.create(user=user, session_key=store.session_key)
    return store.session_key


# --- POST /api/v2/users ----------------------------------------------------------------------


def test_create_makes_a_database_user_and_answers_201(api, connection, m2m):
    response = api.post(
        "/api/v2/users",
        {
            "connection": connection.name,
            "email": "new@example.com",
            "password": STRONG,
            "name": "New Person",
            "user_metadata": {"plan": "gold"},
        },
    )

    assert response.status_code == 201
    user = User.objects.get(email="new@example.com")
    assert response.json() == expected(user)
    assert user.user_id.startswith("auth0|") and len(user.user_id) == 30
    assert user.user_metadata == {"plan": "gold"}
    assert check_password(STRONG, user.password)
    event = LogEvent.objects.get(type="sapi", user=user)
    assert event.description == "Create a User"
    assert event.client_id == m2m.client_id


def test_create_with_a_user_id_keeps_it_as_auth0_does(api, connection):
    response = api.post(
        "/api/v2/users",
        {
            "user_id": "507f1f77bcf86cd799439011",
            "connection": connection.name,
            "email": "kept@example.com",
            "password": STRONG,
        },
    )

    assert response.status_code == 201
    user = User.objects.get(email="kept@example.com")
    assert user.user_id == "auth0|507f1f77bcf86cd799439011"
    assert response.json() == expected(user)
    assert response.json()["user_id"] == "auth0|507f1f77bcf86cd799439011"
    assert response.json()["identities"][0]["user_id"] == "507f1f77bcf86cd799439011"


def test_create_with_a_user_id_from_an_auth0_export_does_not_double_the_prefix(api, connection):
    # Auth0 would answer auth0|auth0|abc; a migration wants the sub its applications stored.
    response = api.post(
        "/api/v2/users",
        {
            "user_id": "auth0|abc123",
            "connection": connection.name,
            "email": "kept@example.com",
            "password": STRONG,
        },
    )

    assert response.status_code == 201
    assert response.json()["user_id"] == "auth0|abc123"


def test_create_with_a_user_id_taken_is_409(api, user, connection):
    response = api.post(
        "/api/v2/users",
        {
            "user_id": user.user_id.removeprefix("auth0|"),
            "connection": connection.name,
            "email": "other@example.com",
            "password": STRONG,
        },
    )

    assert response.status_code == 409
    assert response.json() == error(409, "The user already exists.", "auth0_idp_error")
    assert not User.objects.filter(email="other@example.com").exists()


@pytest.mark.parametrize("given", ["a|b", "with space", "", "x" * 121])
def test_create_with_a_malformed_user_id_is_400(api, connection, given):
    response = api.post(
        "/api/v2/users",
        {"user_id": given, "connection": connection.name, "email": "a@x.com", "password": STRONG},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_body"
    assert response.json()["message"].endswith("on property user_id.")
    assert not User.objects.filter(email="a@x.com").exists()


def test_create_defaults_name_to_the_email_and_nickname_to_its_local_part(api, connection):
    response = api.post(
        "/api/v2/users",
        {"connection": connection.name, "email": "new.person@example.com", "password": STRONG},
    )

    assert response.json()["name"] == "new.person@example.com"
    assert response.json()["nickname"] == "new.person"


def test_patch_refuses_username_and_email_together(api, user):
    response = api.patch(
        f"/api/v2/users/{user.user_id}", {"username": "someone", "email": "x@example.com"}
    )

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Payload validation error: 'Cannot update username and email simultaneously'.",
        "invalid_body",
    )
    user.refresh_from_db()
    assert user.email != "x@example.com"


def test_create_applies_the_connection_policy(api, connection):
    response = api.post(
        "/api/v2/users",
        {"connection": connection.name, "email": "new@example.com", "password": "abc"},
    )

    assert response.status_code == 400
    assert response.json() == weak_password_error()
    assert not User.objects.filter(email="new@example.com").exists()


def test_create_with_an_existing_email_is_409(api, user):
    response = api.post(
        "/api/v2/users",
        {"connection": user.connection.name, "email": user.email.upper(), "password": STRONG},
    )

    assert response.status_code == 409
    assert response.json() == error(409, "The user already exists.", "auth0_idp_error")


def test_create_in_an_unknown_connection_is_400(api):
    response = api.post(
        "/api/v2/users", {"connection": "nope", "email": "a@example.com", "password": STRONG}
    )

    assert response.status_code == 400
    assert response.json() == error(400, "The connection does not exist.", "inexistent_connection")


def test_create_in_a_social_connection_is_400(api):
    social = SocialConnectionFactory()

    response = api.post(
        "/api/v2/users", {"connection": social.name, "email": "a@example.com", "password": STRONG}
    )

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Users of the google-oauth2 connection (Google) sign in elsewhere and cannot be "
        "created here.",
        "password_not_supported",
    )


def test_create_refuses_unknown_properties(api, connection):
    response = api.post(
        "/api/v2/users",
        {"connection": connection.name, "email": "a@example.com", "password": STRONG, "x": 1},
    )

    assert response.status_code == 400
    assert response.json() == error(
        400, "Payload validation error: 'Additional properties not allowed: x'.", "invalid_body"
    )


def test_create_without_a_password_is_400(api, connection):
    response = api.post("/api/v2/users", {"connection": connection.name, "email": "a@example.com"})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Payload validation error: 'This field is required.' on property password.",
        "invalid_body",
    )


def test_create_needs_create_users(api_with, connection):
    response = api_with("update:users").post(
        "/api/v2/users", {"connection": connection.name, "email": "a@x.com", "password": STRONG}
    )

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: create:users", "insufficient_scope"
    )


# --- PATCH /api/v2/users/{id} with a password --------------------------------------------------


def test_patch_with_a_password_sets_it_and_ends_sessions_and_tickets(api, user, m2m):
    session_key = logged_in(user)
    ticket, _ = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    stamp = user.security_stamp

    response = api.patch(
        f"/api/v2/users/{user.user_id}", {"password": STRONG, "connection": user.connection.name}
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert response.json() == expected(user)
    assert check_password(STRONG, user.password)
    assert user.last_password_reset is not None
    assert user.security_stamp != stamp
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not UserSession.objects.filter(user=user).exists()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REVOKED
    assert EmailDelivery.objects.count() == 0
    scp = LogEvent.objects.get(type="scp", user=user)
    assert scp.client_id == m2m.client_id
    assert scp.details == {"door": "api"}
    # The PATCH's own sapi row (the set-up's ticket wrote one of its own before it).
    sapi = LogEvent.objects.get(type="sapi", user=user, description="Update a User")
    assert sapi.details == {"fields": ["password"]}
    assert STRONG not in str(list(LogEvent.objects.values()))


def test_patch_with_a_weak_password_names_each_failed_rule(api, user):
    response = api.patch(f"/api/v2/users/{user.user_id}", {"password": "abc"})

    assert response.status_code == 400
    assert response.json() == weak_password_error()
    user.refresh_from_db()
    assert check_password(DEFAULT_PASSWORD, user.password)
    assert LogEvent.objects.get(type="fcp", user=user).details == {
        "door": "api",
        "rules": ["password_too_short", "password_character_classes"],
    }


def test_patch_with_a_password_of_the_history_is_refused(api, user, connection):
    connection.history_enable = True
    connection.save()

    response = api.patch(f"/api/v2/users/{user.user_id}", {"password": DEFAULT_PASSWORD})

    assert response.status_code == 400
    assert response.json()["rules"] == [
        {"code": "password_in_history", "message": "Not the same as any of your last 5 passwords."}
    ]


def test_patch_a_password_of_a_social_user_is_a_clear_400(api):
    social = UserFactory(connection=SocialConnectionFactory(), user_id="google-oauth2|99")

    response = api.patch(f"/api/v2/users/{social.user_id}", {"password": STRONG})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        f"{social.email} signs in with the google-oauth2 connection (Google); its password "
        "is not kept here.",
        "password_not_supported",
    )


def test_patch_a_password_when_direct_set_is_disabled_is_403(api, user, settings):
    settings.REKEY_ALLOW_DIRECT_PASSWORD_SET = False

    response = api.patch(f"/api/v2/users/{user.user_id}", {"password": STRONG})

    assert response.status_code == 403
    assert response.json() == error(
        403,
        "Setting a password directly is turned off; send a password reset email instead.",
        "direct_password_set_disabled",
    )


@pytest.mark.parametrize("other", ["email", "email_verified", "username"])
def test_patch_refuses_a_password_with_email_email_verified_or_username(api, user, other):
    value = {"email": "x@example.com", "email_verified": True, "username": "someone"}[other]

    response = api.patch(f"/api/v2/users/{user.user_id}", {"password": STRONG, other: value})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        f"Payload validation error: 'Cannot update password and {other} simultaneously'.",
        "invalid_body",
    )


def test_patch_with_another_connection_is_400(api, user):
    response = api.patch(
        f"/api/v2/users/{user.user_id}", {"password": STRONG, "connection": "Other"}
    )

    assert response.status_code == 400
    assert response.json() == error(
        400, "The user does not have an identity in the connection Other", "inexistent_connection"
    )


# --- PATCH /api/v2/users/{id}: other properties ----------------------------------------------


def test_patch_updates_the_profile_and_merges_metadata(api, user):
    user.user_metadata = {"keep": 1, "drop": 2}
    user.save()

    response = api.patch(
        f"/api/v2/users/{user.user_id}",
        {
            "name": "Renamed",
            "given_name": "Re",
            "nickname": "rn",
            "picture": "https://img.example.com/a.png",
            "user_metadata": {"drop": None, "add": "yes"},
            "app_metadata": {"roles": ["admin"]},
            "email_verified": False,
        },
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert response.json() == expected(user)
    assert user.name == "Renamed"
    assert user.user_metadata == {"keep": 1, "add": "yes"}
    assert user.app_metadata == {"roles": ["admin"]}
    assert user.email_verified is False
    sapi = LogEvent.objects.get(type="sapi", user=user)
    assert sapi.details == {
        "fields": [
            "app_metadata",
            "email_verified",
            "given_name",
            "name",
            "nickname",
            "picture",
            "user_metadata",
        ]
    }


def test_patch_a_new_email_marks_it_unverified(api, user):
    response = api.patch(f"/api/v2/users/{user.user_id}", {"email": "moved@example.com"})

    assert response.status_code == 200
    assert response.json()["email"] == "moved@example.com"
    assert response.json()["email_verified"] is False


def test_patch_an_email_taken_in_the_connection_is_409(api, user, connection):
    other = UserFactory(connection=connection)

    response = api.patch(f"/api/v2/users/{user.user_id}", {"email": other.email})

    assert response.status_code == 409
    assert response.json() == error(
        409, "The specified new email already exists", "auth0_idp_error"
    )


def test_patch_blocked_blocks_the_user_and_ends_their_sessions(api, user):
    session_key = logged_in(user)

    response = api.patch(f"/api/v2/users/{user.user_id}", {"blocked": True})

    assert response.status_code == 200
    assert response.json()["blocked"] is True
    assert not Session.objects.filter(session_key=session_key).exists()


def test_patch_refuses_unknown_properties(api, user):
    response = api.patch(f"/api/v2/users/{user.user_id}", {"favourite_colour": "blue"})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Payload validation error: 'Additional properties not allowed: favourite_colour'.",
        "invalid_body",
    )


def test_patch_a_wrong_type_names_the_property(api, user):
    response = api.patch(f"/api/v2/users/{user.user_id}", {"blocked": "perhaps"})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Payload validation error: 'Must be a valid boolean.' on property blocked.",
        "invalid_body",
    )


def test_patch_an_unknown_user_is_404(api):
    response = api.patch("/api/v2/users/auth0|000000000000000000000000", {"name": "x"})

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")


def test_patch_needs_update_users(api_with, user):
    response = api_with("read:users").patch(f"/api/v2/users/{user.user_id}", {"name": "x"})

    assert response.status_code == 403
    assert response.json() == error(
        403,
        "Insufficient scope, expected any of: update:users,update:users_app_metadata",
        "insufficient_scope",
    )


def test_patch_metadata_with_update_users_app_metadata_alone(api_with, user):
    response = api_with("update:users_app_metadata").patch(
        f"/api/v2/users/{user.user_id}", {"app_metadata": {"plan": "pro"}}
    )

    assert response.status_code == 200
    assert response.json()["app_metadata"] == {"plan": "pro"}


def test_update_users_app_metadata_alone_changes_nothing_else(api_with, user):
    response = api_with("update:users_app_metadata").patch(
        f"/api/v2/users/{user.user_id}", {"app_metadata": {"plan": "pro"}, "blocked": True}
    )

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: update:users", "insufficient_scope"
    )
    user.refresh_from_db()
    assert user.blocked is False
    assert user.app_metadata == {}


# --- DELETE /api/v2/users/{id}/sessions ------------------------------------------------------


def test_delete_sessions_forces_sign_in(api, user, m2m):
    session_key = logged_in(user)
    stamp = user.security_stamp

    response = api.delete(f"/api/v2/users/{user.user_id}/sessions")

    assert response.status_code == 202
    assert response.content == b""
    user.refresh_from_db()
    assert user.security_stamp != stamp
    assert not Session.objects.filter(session_key=session_key).exists()
    # One row for the action, written by the service (issue 9: it used to log a second sapi).
    [event] = LogEvent.objects.filter(user=user)
    assert (event.type, event.client_id) == ("ssr", m2m.client_id)


def test_delete_sessions_of_an_unknown_user_is_404(api):
    response = api.delete("/api/v2/users/auth0|000000000000000000000000/sessions")

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")


def test_delete_sessions_needs_delete_sessions(api_with, user):
    response = api_with("update:users").delete(f"/api/v2/users/{user.user_id}/sessions")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: delete:sessions", "insufficient_scope"
    )


def test_tickets_of_other_users_are_untouched_by_a_password_change(api, user, connection):
    other = UserFactory(connection=connection)
    ticket, _ = ticket_issue(user=other, audit=Audit(door=Door.RESET))

    api.patch(f"/api/v2/users/{user.user_id}", {"password": STRONG})

    assert PasswordChangeTicket.objects.get(pk=ticket.pk).status == TicketStatus.VALID
