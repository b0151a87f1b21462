"""EmailDelivery.has_secret: the message carries a secret, so only its sealed copy may be sent."""

from django.db import migrations, models


def mark_sealed(apps, schema_editor):
    # Rows written before: those with a sealed copy are the ones that carried a secret.
    EmailDelivery = apps.get_model("emails", "EmailDelivery")
    EmailDelivery.objects.exclude(sealed="").update(has_secret=True)


class Migration(migrations.Migration):
    dependencies = [("emails", "0003_blocked_account_template")]

    operations = [
        migrations.AddField(
            model_name="emaildelivery",
            name="has_secret",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(mark_sealed, migrations.RunPython.noop),
    ]
