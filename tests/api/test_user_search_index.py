"""A users search by email prefix is served by the email_key index (fast at a million users)."""

from __future__ import annotations

import pytest
from django.db import connection as db

from accounts.api.user_search import users_search

pytestmark = pytest.mark.django_db


def test_an_email_prefix_search_uses_the_email_key_index_on_postgresql(postgres, user):
    with db.cursor() as cursor:
        # The table is tiny here: forbid sequential scans so the plan shows what it could use.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = users_search("email:user1*").order_by("email_key", "id").explain()

    assert "user_email_key_idx" in plan or "user_email_per_conn" in plan or "conn_email" in plan
    assert "Index Cond" in plan


def test_an_email_prefix_search_uses_an_index_on_sqlite(user):
    if db.vendor != "sqlite":
        pytest.skip("the SQLite plan")

    plan = users_search("email:user1*").order_by("email_key", "id").explain()

    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan
