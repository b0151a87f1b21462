"""The default blocked_account templates (English and Japanese): the unblock link's email."""

from django.db import migrations

from emails.defaults import DEFAULTS


def create_blocked_account(apps, schema_editor):
    EmailTemplate = apps.get_model("emails", "EmailTemplate")
    for name, language, subject, body in DEFAULTS:
        if name == "blocked_account":
            EmailTemplate.objects.get_or_create(
                name=name, language=language, defaults={"subject": subject, "body": body}
            )


def remove_blocked_account(apps, schema_editor):
    apps.get_model("emails", "EmailTemplate").objects.filter(name="blocked_account").delete()


class Migration(migrations.Migration):
    dependencies = [("emails", "0002_default_templates")]

    operations = [migrations.RunPython(create_blocked_account, remove_blocked_account)]
