"""A users search by email prefix is served by the email_key index (fast at a million users)."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.db.models import QuerySet

from accounts.api.user_search import user_condition
from accounts.models import User
from accounts.selectors import tenant_users_bytewise

pytestmark = pytest.mark.django_db


def _search(q: str) -> QuerySet[User]:
    return tenant_users_bytewise().filter(user_condition(q))


def test_an_email_prefix_search_uses_the_email_key_index_on_postgresql(postgres, user):
    with db.cursor() as cursor:
        # The table is tiny here: forbid sequential scans so the plan shows what it could use.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = _search("email:user1*").order_by("email_key", "id").explain()

    # The prefix is a range on the bytewise email_c index the dashboard's search uses too.
    assert "user_email_c" in plan
    assert "Index Cond" in plan


def test_an_email_prefix_search_uses_an_index_on_sqlite(user):
    if db.vendor != "sqlite":
        pytest.skip("the SQLite plan")

    plan = _search("email:user1*").order_by("email_key", "id").explain()

    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan
