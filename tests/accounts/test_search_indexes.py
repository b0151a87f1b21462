"""The users table's search indexes are accounts' (migration 0011), on old and new databases."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0011_user_search_indexes")

# What the dashboard's migrations 0002 and 0003 left on a database before the move.
DASHBOARD_INDEXES = {
    "postgresql": [
        'CREATE INDEX dashboard_user_email_c ON accounts_user ((email_key COLLATE "C"), id)',
        'CREATE INDEX dashboard_user_name_upper_c ON accounts_user ((UPPER(name) COLLATE "C"))',
        "CREATE INDEX dashboard_user_blocked ON accounts_user (id) WHERE blocked",
    ],
    "sqlite": ["CREATE INDEX dashboard_user_blocked ON accounts_user (id) WHERE blocked"],
}
EXPECTED = {
    "postgresql": ["accounts_user_blocked", "accounts_user_email_c", "accounts_user_name_upper_c"],
    "sqlite": ["accounts_user_blocked"],
}


class _Editor:
    """What the migration's functions use of a schema editor, inside the test's transaction."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def _search_indexes() -> list[str]:
    if connection.vendor == "postgresql":
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_user'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'accounts_user'"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = [row[0] for row in cursor.fetchall()]
    return sorted(n for n in names if n.startswith("dashboard_") or n in EXPECTED["postgresql"])


def test_a_new_database_has_the_indexes_under_accounts_names():
    assert _search_indexes() == EXPECTED[connection.vendor]


def test_a_database_migrated_before_the_move_gets_them_under_accounts_names():
    migration.backwards(None, _Editor())
    for sql in DASHBOARD_INDEXES[connection.vendor]:
        _Editor().execute(sql)
    assert _search_indexes()[0].startswith("dashboard_")

    migration.forwards(None, _Editor())

    assert _search_indexes() == EXPECTED[connection.vendor]


def test_running_it_twice_changes_nothing():
    migration.forwards(None, _Editor())

    assert _search_indexes() == EXPECTED[connection.vendor]
