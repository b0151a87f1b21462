"""The users table's search indexes, moved here from the dashboard's migrations 0001-0003.

They were created by the dashboard app although the table is accounts'. A database that ran
those migrations has them under ``dashboard_*`` names: they are renamed (PostgreSQL) or rebuilt
(SQLite cannot rename an index; the partial blocked index is small). A new database gets them
here, the dashboard migrations having become no-ops kept for history.

- ``accounts_user_email_c``, ``accounts_user_name_upper_c`` (PostgreSQL): ``COLLATE "C"``
  expressions, so that a prefix search is a range in the list's own order, whatever the
  database's collation (see ``accounts.selectors.bytewise``).
- ``accounts_user_blocked`` (both): a partial index that keeps the count of blocked users small.
"""

from django.db import migrations

BYTEWISE = {
    "accounts_user_email_c": (
        "dashboard_user_email_c",
        'ON accounts_user ((email_key COLLATE "C"), id)',
    ),
    "accounts_user_name_upper_c": (
        "dashboard_user_name_upper_c",
        'ON accounts_user ((UPPER(name) COLLATE "C"))',
    ),
}
BLOCKED = ("accounts_user_blocked", "dashboard_user_blocked", "ON accounts_user (id) WHERE blocked")
# Made by the dashboard's 0001 and dropped by its 0002; gone wherever 0002 ran.
SUPERSEDED = ("dashboard_user_email_key_like", "dashboard_user_name_upper_like")


def forwards(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for name, (old, definition) in [*BYTEWISE.items(), (BLOCKED[0], BLOCKED[1:])]:
            execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {name}")
            execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")
        for old in SUPERSEDED:
            execute(f"DROP INDEX IF EXISTS {old}")
        return
    name, old, definition = BLOCKED
    execute(f"DROP INDEX IF EXISTS {old}")
    execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def backwards(apps, schema_editor):
    names = [BLOCKED[0]]
    if schema_editor.connection.vendor == "postgresql":
        names += list(BYTEWISE)
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_trigram")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
