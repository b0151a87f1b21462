"""Replace the LIKE indexes by bytewise (COLLATE "C") ones that also give the list its order.

With ``email_key COLLATE "C"`` a prefix search is a range on an index in the list's own order,
so a page costs the same whatever the prefix and whatever the database's collation; the LIKE
indexes of 0001 let PostgreSQL misjudge a prefix and walk the whole ordering index instead.
PostgreSQL only, like 0001.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS dashboard_user_email_c "
    'ON accounts_user ((email_key COLLATE "C"), id)',
    "CREATE INDEX IF NOT EXISTS dashboard_user_name_upper_c "
    'ON accounts_user ((UPPER(name) COLLATE "C"))',
]
DROP_OLD = [
    "DROP INDEX IF EXISTS dashboard_user_email_key_like",
    "DROP INDEX IF EXISTS dashboard_user_name_upper_like",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in [*CREATE, *DROP_OLD]:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("dashboard_user_email_c", "dashboard_user_name_upper_c"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_search_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
