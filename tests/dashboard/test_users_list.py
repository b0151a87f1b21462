"""The users list: search, filters and keyset pagination without COUNT."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.selectors import PAGE_SIZE
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def emails(response) -> list[str]:
    return [u.email for u in response.context["page"].items]


def test_email_prefix_search_is_case_insensitive(staff_client, connection):
    UserFactory(connection=connection, email="Alice.Smith@example.com")
    UserFactory(connection=connection, email="alicia@example.com")
    UserFactory(connection=connection, email="bob@example.com")

    response = staff_client.get("/dashboard/users/", {"q": "ALIC"})

    assert emails(response) == ["Alice.Smith@example.com", "alicia@example.com"]


def test_search_with_an_at_sign_matches_the_email_only(staff_client, connection):
    UserFactory(connection=connection, email="carol@example.com", name="Dave")
    UserFactory(connection=connection, email="dave@example.com", name="Carol")

    response = staff_client.get("/dashboard/users/", {"q": "carol@"})

    assert emails(response) == ["carol@example.com"]


def test_name_prefix_search(staff_client, connection):
    UserFactory(connection=connection, email="x1@example.com", name="Yamada Taro")
    UserFactory(connection=connection, email="x2@example.com", name="Suzuki Hanako")

    response = staff_client.get("/dashboard/users/", {"q": "yama"})

    assert emails(response) == ["x1@example.com"]


def test_user_id_search_is_exact(staff_client, connection):
    target = UserFactory(connection=connection)
    UserFactory(connection=connection)

    exact = staff_client.get("/dashboard/users/", {"q": target.user_id})
    partial = staff_client.get("/dashboard/users/", {"q": target.user_id[:-1]})

    assert emails(exact) == [target.email]
    assert emails(partial) == []


def test_filter_by_connection_and_blocked_state(staff_client, connection):
    other = ConnectionFactory(name="Employees")
    UserFactory(connection=connection, email="a@example.com")
    UserFactory(connection=other, email="b@example.com")
    UserFactory(connection=other, email="c@example.com", blocked=True)

    by_connection = staff_client.get("/dashboard/users/", {"connection": other.id})
    blocked = staff_client.get("/dashboard/users/", {"blocked": "yes"})
    active_other = staff_client.get("/dashboard/users/", {"connection": other.id, "blocked": "no"})

    assert sorted(emails(by_connection)) == ["b@example.com", "c@example.com"]
    assert emails(blocked) == ["c@example.com"]
    assert emails(active_other) == ["b@example.com"]


def test_list_shows_newest_first_when_not_searching(staff_client, administrator, connection):
    now = timezone.now()
    UserFactory(connection=connection, email="old@example.com", created_at=now - timedelta(days=2))
    UserFactory(connection=connection, email="new@example.com", created_at=now + timedelta(days=1))

    response = staff_client.get("/dashboard/users/", {"connection": connection.id})

    assert emails(response)[0] == "new@example.com"
    assert emails(response)[-1] == "old@example.com"


@pytest.mark.parametrize("query", [{}, {"q": "user"}])
def test_next_and_previous_cursors_walk_every_user_once(staff_client, connection, query):
    now = timezone.now()
    for i in range(PAGE_SIZE * 2 + 5):
        # Equal timestamps in pairs, so the id tie-breaker is exercised.
        UserFactory(connection=connection, created_at=now - timedelta(seconds=i // 2))

    seen: list[list[str]] = []
    response = staff_client.get("/dashboard/users/", query)
    assert response.context["page"].previous_cursor is None
    while True:
        seen.append(emails(response))
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        response = staff_client.get("/dashboard/users/", {**query, "cursor": cursor})
    back = staff_client.get(
        "/dashboard/users/", {**query, "cursor": response.context["page"].previous_cursor}
    )

    flat = [e for page in seen for e in page]
    assert [len(page) for page in seen] == [PAGE_SIZE, PAGE_SIZE, 5 + 1]  # + the staff member
    assert len(flat) == len(set(flat)) == PAGE_SIZE * 2 + 6
    assert emails(back) == seen[1]
    assert back.context["page"].next_cursor is not None


def test_a_page_never_counts_the_table(staff_client, connection):
    UserFactory.create_batch(3, connection=connection)

    with CaptureQueriesContext(db) as queries:
        response = staff_client.get("/dashboard/users/", {"q": "user"})

    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


def test_a_forged_cursor_falls_back_to_the_first_page(staff_client, connection):
    UserFactory(connection=connection, email="only@example.com")

    response = staff_client.get("/dashboard/users/", {"q": "only", "cursor": "eyJrIjpbMSwyXX0"})

    assert response.status_code == 200
    assert emails(response) == ["only@example.com"]


def test_search_box_percent_and_underscore_are_literal(staff_client, connection):
    UserFactory(connection=connection, email="a_b@example.com")
    UserFactory(connection=connection, email="axb@example.com")

    response = staff_client.get("/dashboard/users/", {"q": "a_"})

    assert emails(response) == ["a_b@example.com"]


def test_rows_link_to_the_user_page(staff_client, connection):
    target = UserFactory(connection=connection, email="link@example.com")

    html = staff_client.get("/dashboard/users/", {"q": "link"}).content.decode()

    assert f'href="/dashboard/users/{target.user_id.replace("|", "%7C")}/"' in html


@pytest.mark.postgres
def test_postgresql_has_the_prefix_search_indexes(postgres, staff_client):
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_user' "
            "AND indexname LIKE 'dashboard_%%' ORDER BY indexname"
        )
        names = [row[0] for row in cursor.fetchall()]

    assert names == ["dashboard_user_email_c", "dashboard_user_name_upper_c"]
