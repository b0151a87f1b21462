"""The default email templates (English and Japanese); staff edit them afterwards."""

from django.db import migrations

from emails.defaults import DEFAULTS


def create_defaults(apps, schema_editor):
    EmailTemplate = apps.get_model("emails", "EmailTemplate")
    for name, language, subject, body in DEFAULTS:
        EmailTemplate.objects.get_or_create(
            name=name, language=language, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("emails", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
