"""The default verify_email templates (English and Japanese): the verification link email."""

from django.db import migrations

from emails.defaults import DEFAULTS


def create_verify_email(apps, schema_editor):
    EmailTemplate = apps.get_model("emails", "EmailTemplate")
    for name, language, subject, body in DEFAULTS:
        if name == "verify_email":
            EmailTemplate.objects.get_or_create(
                name=name, language=language, defaults={"subject": subject, "body": body}
            )


def remove_verify_email(apps, schema_editor):
    apps.get_model("emails", "EmailTemplate").objects.filter(name="verify_email").delete()


class Migration(migrations.Migration):
    dependencies = [("emails", "0007_reset_code_template")]

    operations = [migrations.RunPython(create_verify_email, remove_verify_email)]
