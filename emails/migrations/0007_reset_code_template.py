"""The default reset_email_by_code templates (English and Japanese): the reset code's email."""

from django.db import migrations

from emails.defaults import DEFAULTS


def create_reset_code(apps, schema_editor):
    EmailTemplate = apps.get_model("emails", "EmailTemplate")
    for name, language, subject, body in DEFAULTS:
        if name == "reset_email_by_code":
            EmailTemplate.objects.get_or_create(
                name=name, language=language, defaults={"subject": subject, "body": body}
            )


def remove_reset_code(apps, schema_editor):
    apps.get_model("emails", "EmailTemplate").objects.filter(name="reset_email_by_code").delete()


class Migration(migrations.Migration):
    dependencies = [("emails", "0006_feedback")]

    operations = [migrations.RunPython(create_reset_code, remove_reset_code)]
