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
    # Staff are not tenant users: the list holds exactly the users made here.
    assert [len(page) for page in seen] == [PAGE_SIZE, PAGE_SIZE, 5]
    assert len(flat) == len(set(flat)) == PAGE_SIZE * 2 + 5
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
            "AND indexname NOT LIKE '%%trgm' AND (indexname LIKE 'dashboard_%%' "
            "OR indexname LIKE '%%_blocked' OR indexname LIKE '%%_c') ORDER BY indexname"
        )
        names = [row[0] for row in cursor.fetchall()]

    # Accounts' migration 0011 (accounts_user_blocked: the home's count of blocked users); none
    # is left under the dashboard's name.
    assert names == [
        "accounts_user_blocked",
        "accounts_user_email_c",
        "accounts_user_name_upper_c",
    ]


def test_a_family_name_or_a_domain_is_found_anywhere(staff_client, connection):
    UserFactory(connection=connection, email="hiro@corp.example.com", name="Hiro Tanaka")
    UserFactory(connection=connection, email="k.tanaka@other.org", name="Kei")
    UserFactory(connection=connection, email="bob@elsewhere.net", name="Bob")

    by_name = staff_client.get("/dashboard/users/", {"q": "Tanaka"})
    by_domain = staff_client.get("/dashboard/users/", {"q": "example.com"})

    assert emails(by_name) == ["hiro@corp.example.com", "k.tanaka@other.org"]
    assert emails(by_domain) == ["hiro@corp.example.com"]
    assert "emails and names containing “Tanaka”" in by_name.content.decode()


def test_two_letters_match_prefixes_and_say_so(staff_client, connection):
    UserFactory(connection=connection, email="tanaka@example.com")
    UserFactory(connection=connection, email="hiro.ta@example.com")

    response = staff_client.get("/dashboard/users/", {"q": "ta"})

    assert emails(response) == ["tanaka@example.com"]
    html = response.content.decode()
    assert "starting with “ta”" in html and "Type 3 or more characters" in html


def test_the_list_shows_how_many_users_match(staff_client, connection):
    UserFactory.create_batch(3, connection=connection, name="Same Name")

    html = staff_client.get("/dashboard/users/", {"q": "same name"}).content.decode()

    assert '<strong id="user-total">3 users</strong>' in html


def test_the_count_stops_at_its_cap(staff_client, connection, monkeypatch):
    monkeypatch.setattr("accounts.selectors.COUNT_CAP", 2)
    UserFactory.create_batch(3, connection=connection)

    html = staff_client.get("/dashboard/users/").content.decode()

    assert "More than 2 users" in html


def test_the_list_sorts_by_email_and_by_creation_both_ways(staff_client, connection):
    now = timezone.now()
    UserFactory(connection=connection, email="b@example.com", created_at=now)
    UserFactory(connection=connection, email="a@example.com", created_at=now - timedelta(days=1))
    UserFactory(connection=connection, email="c@example.com", created_at=now - timedelta(days=2))

    def order(sort):
        return emails(staff_client.get("/dashboard/users/", {"sort": sort}))

    assert order("email") == ["a@example.com", "b@example.com", "c@example.com"]
    assert order("-email") == ["c@example.com", "b@example.com", "a@example.com"]
    assert order("created") == ["c@example.com", "a@example.com", "b@example.com"]
    assert order("-created") == ["b@example.com", "a@example.com", "c@example.com"]
    html = staff_client.get("/dashboard/users/", {"sort": "email"}).content.decode()
    assert 'aria-sort="ascending"' in html and 'href="?sort=-email"' in html


@pytest.mark.postgres
def test_postgresql_substring_search_uses_the_trigram_indexes(postgres, connection):
    from django.db.models.functions import Upper

    from accounts.models import User
    from accounts.selectors import users_search

    with db.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_user' "
            "AND indexname LIKE '%%trgm' ORDER BY indexname"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "accounts_user_email_key_trgm",
            "accounts_user_name_upper_trgm",
        ]
        cursor.execute("SET enable_seqscan = off")
        # Only the predicates the search builds, with a table scan ruled out: the indexes
        # must be usable for them (an empty test table never makes them the cheapest plan).
        cursor.execute("SET enable_indexscan = off")
    assert users_search(q="tanaka").mode == "substring"
    by_email = User.objects.filter(email_key__contains="tanaka").explain()
    by_name = (
        User.objects.annotate(name_u=Upper("name")).filter(name_u__contains="TANAKA").explain()
    )
    assert "accounts_user_email_key_trgm" in by_email
    assert "accounts_user_name_upper_trgm" in by_name
