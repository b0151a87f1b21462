"""Trigram indexes for the dashboard's substring search of users (PostgreSQL only).

``pg_trgm`` lets ``email_key LIKE '%tanaka%'`` and ``UPPER(name) LIKE '%TANAKA%'`` use a GIN
index instead of reading every user. Creating the extension needs a role allowed to (the
database owner on PostgreSQL 13+, where pg_trgm is a trusted extension, or a superuser).
SQLite skips this migration; its substring search scans the table, which suits the embedded
set-up's size.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS accounts_user_email_key_trgm "
    "ON accounts_user USING gin (email_key gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS accounts_user_name_upper_trgm "
    "ON accounts_user USING gin ((UPPER(name)) gin_trgm_ops)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in CREATE:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("accounts_user_email_key_trgm", "accounts_user_name_upper_trgm"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_log_types")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
