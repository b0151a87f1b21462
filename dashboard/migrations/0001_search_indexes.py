"""PostgreSQL-only indexes for the dashboard's user search (SQLite needs and gets none).

The users table belongs to accounts; these indexes serve only the dashboard's prefix searches:
``email_key LIKE 'x%'`` needs a pattern_ops index unless the database collation is C, and
``UPPER(name) LIKE 'X%'`` (Django's ``istartswith``) needs an expression index.
"""

from django.db import migrations

INDEXES = {
    "dashboard_user_email_key_like": (
        "CREATE INDEX IF NOT EXISTS dashboard_user_email_key_like "
        "ON accounts_user (email_key varchar_pattern_ops)"
    ),
    "dashboard_user_name_upper_like": (
        "CREATE INDEX IF NOT EXISTS dashboard_user_name_upper_like "
        "ON accounts_user ((UPPER(name::text)) text_pattern_ops)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in INDEXES.values():
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
