"""Kept for history: the users table's search indexes now belong to accounts (migration 0011).

This migration created PostgreSQL LIKE indexes on ``accounts_user`` (dropped again by 0002); it
does nothing now, so that databases which ran it and new ones share one migration graph.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations: list[migrations.operations.base.Operation] = []
