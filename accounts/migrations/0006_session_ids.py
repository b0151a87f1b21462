from django.db import migrations, models

import accounts.models


def fill(apps, schema_editor):
    UserSession = apps.get_model("accounts", "UserSession")
    for session in UserSession.objects.filter(sid__isnull=True).only("pk"):
        session.sid = accounts.models.new_session_id()
        session.save(update_fields=["sid"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_mfa_logs")]

    operations = [
        migrations.AddField(
            model_name="usersession",
            name="sid",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="usersession",
            name="sid",
            field=models.CharField(
                default=accounts.models.new_session_id, max_length=32, unique=True
            ),
        ),
    ]
