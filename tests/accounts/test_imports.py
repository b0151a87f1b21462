"""accounts.imports.users_import: Auth0's bulk format, users keep their ids."""

from __future__ import annotations

import pytest

from accounts.imports import ImportRefused, users_import
from accounts.models import LogEvent, User
from accounts.selectors import staff_connection
from tests.factories import SocialConnectionFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_a_user_id_is_kept_with_auth0s_prefix(connection) -> None:
    result = users_import(
        connection=connection, entries=[{"email": "a@example.com", "user_id": "5f1a2b"}]
    )

    assert (result.created, result.updated) == (1, 0)
    assert User.objects.get(email="a@example.com").user_id == "auth0|5f1a2b"


def test_a_user_id_as_auth0_exports_it_is_kept_as_it_is(connection) -> None:
    users_import(connection=connection, entries=[{"email": "a@example.com", "user_id": "auth0|5f"}])

    assert User.objects.get(email="a@example.com").user_id == "auth0|5f"


def test_entries_without_a_user_id_get_a_new_one(connection) -> None:
    users_import(connection=connection, entries=[{"email": "a@example.com"}])

    user_id = User.objects.get(email="a@example.com").user_id
    assert user_id.startswith("auth0|") and len(user_id) == 30


def test_the_import_is_logged_once(connection) -> None:
    users_import(connection=connection, entries=[{"email": "a@example.com", "user_id": "x1"}])

    event = LogEvent.objects.get()
    assert event.type == "sapi"
    assert event.description == "Bulk user import"
    assert event.details == {"created": 1, "updated": 0, "door": "import"}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [{"email": "a@example.com", "user_id": "a|b"}],
            "#0: user_id must be up to 120 printable characters, without | or spaces",
        ),
        (
            [{"email": "a@example.com", "user_id": 7}],
            "#0: user_id must be up to 120 printable characters, without | or spaces",
        ),
        (
            [
                {"email": "a@example.com", "user_id": "1"},
                {"email": "b@example.com", "user_id": "1"},
            ],
            "#1: user_id auth0|1 is also #0's",
        ),
    ],
)
def test_a_bad_user_id_imports_nobody(connection, entries, message) -> None:
    with pytest.raises(ImportRefused) as refused:
        users_import(connection=connection, entries=entries)

    assert refused.value.errors == [message]
    assert not User.objects.exists()


def test_a_user_id_of_another_user_imports_nobody(connection, user) -> None:
    entries = [{"email": "new@example.com", "user_id": user.user_id}]

    with pytest.raises(ImportRefused) as refused:
        users_import(connection=connection, entries=entries)

    assert refused.value.errors == [f"#0: user_id {user.user_id} exists already"]
    assert User.objects.count() == 1


def test_upsert_keeps_the_id_of_the_user_it_updates(connection, user) -> None:
    entries = [{"email": user.email, "user_id": user.user_id, "name": "Renamed"}]

    result = users_import(connection=connection, entries=entries, upsert=True)

    assert (result.created, result.updated) == (0, 1)
    user.refresh_from_db()
    assert user.name == "Renamed"


def test_upsert_with_another_id_for_an_existing_user_imports_nobody(connection, user) -> None:
    entries = [{"email": user.email, "user_id": "someone-else", "name": "Renamed"}]

    with pytest.raises(ImportRefused) as refused:
        users_import(connection=connection, entries=entries, upsert=True)

    assert refused.value.errors == ["#0: user_id differs from the existing user's"]
    user.refresh_from_db()
    assert user.name != "Renamed"


def test_the_staff_realm_takes_no_import(db) -> None:
    admin = StaffFactory(email="admin@example.com")
    realm = staff_connection()

    with pytest.raises(ImportRefused):
        users_import(
            connection=realm,
            entries=[{"email": "admin@example.com", "name": "Pwned"}],
            upsert=True,
        )

    admin.refresh_from_db()
    assert admin.name != "Pwned"
    assert User.objects.filter(connection=realm).count() == 1


def test_a_staff_members_id_cannot_be_taken_by_an_import(connection) -> None:
    admin = StaffFactory(email="admin@example.com")

    with pytest.raises(ImportRefused):
        users_import(
            connection=connection, entries=[{"email": "x@example.com", "user_id": admin.user_id}]
        )

    assert not User.objects.filter(email="x@example.com").exists()


def test_a_social_connection_takes_no_import(db) -> None:
    with pytest.raises(ImportRefused):
        users_import(connection=SocialConnectionFactory(), entries=[{"email": "a@example.com"}])
