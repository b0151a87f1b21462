from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The unblock link of a blocked account; anymail's tracking signal.
        from emails import receivers  # noqa: F401
