"""Users: list and search, get, by email, create, update, force sign-in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import User
from tests.factories import SocialConnectionFactory, UserFactory
from tests.management_api import error

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def auth0_date(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def expected(user: User, **overrides) -> dict:
    """Auth0's user object, written out independently of the serializer."""
    user.refresh_from_db()
    body = {
        "user_id": user.user_id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "user_metadata": user.user_metadata,
        "app_metadata": user.app_metadata,
        "blocked": user.blocked,
        "identities": [
            {
                "connection": user.connection.name,
                "provider": user.connection.strategy,
                "user_id": user.user_id.split("|", 1)[1],
                "isSocial": user.connection.is_social,
            }
        ],
        "created_at": auth0_date(user.created_at),
        "updated_at": auth0_date(user.updated_at),
        "last_password_reset": auth0_date(user.last_password_reset),
        "last_login": auth0_date(user.last_login),
        "logins_count": user.logins_count,
    }
    for key in ("username", "given_name", "family_name", "nickname", "picture", "last_ip"):
        if getattr(user, key):
            body[key] = getattr(user, key)
    body.update(overrides)
    return body


@pytest.fixture
def people(connection):
    with time_machine.travel(NOW, tick=False):
        alice = UserFactory(connection=connection, email="alice@example.com", name="Alice Liddell")
    with time_machine.travel(NOW.replace(day=2), tick=False):
        bob = UserFactory(connection=connection, email="bob@example.org", name="Bob Builder")
    with time_machine.travel(NOW.replace(day=3), tick=False):
        carol = UserFactory(
            connection=connection, email="Carol@Example.com", name="Carol", blocked=True
        )
    return alice, bob, carol


# --- GET /api/v2/users -----------------------------------------------------------------------


def test_list_returns_users_newest_first_in_auth0_shape(api, people):
    alice, bob, carol = people

    response = api.get("/api/v2/users")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == [expected(carol), expected(bob), expected(alice)]


def test_include_totals_wraps_the_page_as_auth0_does(api, people):
    alice, _bob, _carol = people

    response = api.get("/api/v2/users", {"include_totals": "true", "per_page": 2, "page": 1})

    assert response.json() == {
        "start": 2,
        "limit": 2,
        "length": 1,
        "total": 3,
        "users": [expected(alice)],
    }


def test_sort_orders_by_the_field_and_direction(api, people):
    _alice, _bob, _carol = people

    response = api.get("/api/v2/users", {"sort": "email:1", "fields": "email"})

    assert response.json() == [
        {"email": "alice@example.com"},
        {"email": "bob@example.org"},
        {"email": "Carol@Example.com"},
    ]


def test_fields_with_include_fields_false_drops_those_properties(api, people):
    alice, _, _ = people

    response = api.get(
        "/api/v2/users",
        {
            "q": "email:alice@example.com",
            "fields": "identities,user_metadata,app_metadata",
            "include_fields": "false",
        },
    )

    body = expected(alice)
    for key in ("identities", "user_metadata", "app_metadata"):
        body.pop(key)
    assert response.json() == [body]


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("email:alice@example.com", ["Alice Liddell"]),
        ("email:CAROL@example.com", ["Carol"]),
        ('email:"bob@example.org"', ["Bob Builder"]),
        ("email:b*", ["Bob Builder"]),
        ('name:"Alice Liddell"', ["Alice Liddell"]),
        ("name:Bo*", ["Bob Builder"]),
        ("blocked:true", ["Carol"]),
        ("example.com", ["Carol", "Alice Liddell"]),
        ("builder", ["Bob Builder"]),
        ("example.com AND blocked:false", ["Alice Liddell"]),
        ("example.com blocked:false", ["Alice Liddell"]),
        ("identities.connection:Username-Password-Authentication email:a*", ["Alice Liddell"]),
        ("created_at:[2026-03-02 TO *]", ["Carol", "Bob Builder"]),
        ("nobody", []),
    ],
)
def test_q_searches_with_auth0s_query_syntax(api, people, q, names):
    response = api.get("/api/v2/users", {"q": q})

    assert response.status_code == 200
    assert [u["name"] for u in response.json()] == names


def test_q_by_user_id_finds_that_user(api, people):
    alice, _, _ = people

    response = api.get("/api/v2/users", {"q": f'user_id:"{alice.user_id}"'})

    assert response.json() == [expected(alice)]


@pytest.mark.parametrize(
    ("q", "why"),
    [
        ("email:*example.com", "only trailing wildcards are supported: *example.com"),
        ("colour:red", "searching on colour is not supported"),
        ("blocked:maybe", "blocked takes true or false"),
        ("name:alice~2", "fuzzy is not supported"),
        ("_exists_:colour", "_exists_ is not supported on colour"),
        ("app_metadata.a.b.c.d.e.f:x", "not a metadata field: app_metadata.a.b.c.d.e.f"),
        ("logins_count:many", "logins_count takes a number"),
        ("name:[a TO b]", "name does not take a range"),
    ],
)
def test_q_refuses_what_it_does_not_support_with_a_400(api, people, q, why):
    response = api.get("/api/v2/users", {"q": q})

    assert response.status_code == 400
    assert response.json() == error(
        400, f"Query validation error: '{why}' on property q.", "invalid_query_string"
    )


def test_per_page_over_100_is_a_400(api):
    response = api.get("/api/v2/users", {"per_page": 101})

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Query validation error: 'Ensure this value is less than or equal to 100.' "
        "on property per_page.",
        "invalid_query_string",
    )


def test_listing_users_needs_read_users(api_with):
    response = api_with("update:users").get("/api/v2/users")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: read:users", "insufficient_scope"
    )


# --- GET /api/v2/users/{id}, /api/v2/users-by-email --------------------------------------


def test_get_returns_the_user(api, people):
    alice, _, _ = people

    response = api.get(f"/api/v2/users/{alice.user_id}")

    assert response.status_code == 200
    assert response.json() == expected(alice)


def test_get_accepts_the_url_encoded_pipe(api, people):
    alice, _, _ = people

    response = api.get(f"/api/v2/users/{alice.user_id.replace('|', '%7C')}")

    assert response.json()["user_id"] == alice.user_id


def test_get_an_unknown_user_is_404_inexistent_user(api):
    response = api.get("/api/v2/users/auth0|000000000000000000000000")

    assert response.status_code == 404
    assert response.json() == error(404, "The user does not exist.", "inexistent_user")


def test_a_social_user_has_a_social_identity(api):
    social = UserFactory(connection=SocialConnectionFactory(), user_id="google-oauth2|1234")

    response = api.get(f"/api/v2/users/{social.user_id}")

    assert response.json()["identities"] == [
        {
            "connection": "google-oauth2",
            "provider": "google-oauth2",
            "user_id": "1234",
            "isSocial": True,
        }
    ]


def test_users_by_email_matches_case_insensitively(api, people):
    _, _, carol = people

    response = api.get("/api/v2/users-by-email", {"email": "carol@EXAMPLE.com"})

    assert response.status_code == 200
    assert response.json() == [expected(carol)]


def test_users_by_email_without_email_is_400(api):
    response = api.get("/api/v2/users-by-email")

    assert response.status_code == 400
    assert response.json() == error(
        400,
        "Query validation error: 'This field is required.' on property email.",
        "invalid_query_string",
    )


# --- Lucene through luqum: OR, NOT, groups, _exists_, metadata, more fields -----------------


@pytest.fixture
def more_people(people):
    alice, bob, _carol = people
    User.objects.filter(pk=alice.pk).update(
        given_name="Alice",
        family_name="Liddell",
        username="alice",
        logins_count=7,
        app_metadata={"plan": "pro", "seats": 3, "org": {"tier": "gold"}},
        user_metadata={"lang": "ja"},
    )
    User.objects.filter(pk=bob.pk).update(
        given_name="Bob", logins_count=2, app_metadata={"plan": "free"}
    )
    return people


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("email:alice* OR email:bob*", ["Bob Builder", "Alice Liddell"]),
        ("example.com AND NOT blocked:true", ["Alice Liddell"]),
        ("-blocked:true", ["Bob Builder", "Alice Liddell"]),
        ("(name:Carol OR name:Bob*) AND blocked:false", ["Bob Builder"]),
        ("name:(Carol OR Bob*)", ["Carol", "Bob Builder"]),
        ("_exists_:given_name", ["Bob Builder", "Alice Liddell"]),
        ("NOT _exists_:given_name", ["Carol"]),
        ("_exists_:app_metadata.plan", ["Bob Builder", "Alice Liddell"]),
        ("_exists_:app_metadata.org.tier", ["Alice Liddell"]),
        ("app_metadata.plan:pro", ["Alice Liddell"]),
        ("app_metadata.plan:p*", ["Alice Liddell"]),
        ("app_metadata.seats:3", ["Alice Liddell"]),
        ("app_metadata.org.tier:gold", ["Alice Liddell"]),
        ("user_metadata.lang:ja", ["Alice Liddell"]),
        # A key is a key, never one of Django's lookups.
        ("app_metadata.contains:pro", []),
        ("app_metadata.has_key:plan", []),
        ("given_name:alice", ["Alice Liddell"]),
        ("family_name:Lid*", ["Alice Liddell"]),
        ("username:alice", ["Alice Liddell"]),
        ("logins_count:2", ["Bob Builder"]),
        ("logins_count:[3 TO *]", ["Alice Liddell"]),
        ("logins_count:{2 TO 7]", ["Alice Liddell"]),
        # Rekey keeps no phone numbers: the field is understood and matches nobody.
        ("phone_number:123", []),
    ],
)
def test_q_takes_lucenes_boolean_syntax(api, more_people, q, names):
    response = api.get("/api/v2/users", {"q": q})

    assert response.status_code == 200, response.json()
    assert [u["name"] for u in response.json()] == names


def test_q_never_finds_a_staff_member_whatever_the_query(api, more_people):
    from tests.factories import StaffFactory

    StaffFactory(email="admin@example.com", name="Admin")

    response = api.get("/api/v2/users", {"q": "email:admin* OR NOT blocked:true OR _exists_:name"})

    assert "admin@example.com" not in [u["email"] for u in response.json()]


def test_paging_past_auth0s_1000_result_window_is_a_400(api):
    response = api.get("/api/v2/users", {"page": 10, "per_page": 100})

    assert response.status_code == 400
    assert response.json() == error(
        400, "You can only page through the first 1000 records.", "invalid_query_string"
    )


def test_the_last_page_inside_the_window_is_served(api):
    assert api.get("/api/v2/users", {"page": 9, "per_page": 100}).status_code == 200
