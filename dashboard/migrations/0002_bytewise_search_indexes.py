"""Kept for history: the bytewise search indexes now belong to accounts (migration 0011).

This migration created ``dashboard_user_email_c`` and ``dashboard_user_name_upper_c`` on
``accounts_user``; accounts 0011 renames them where they exist and creates them where not.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_search_indexes")]

    operations: list[migrations.operations.base.Operation] = []
