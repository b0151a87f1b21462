from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from accounts.sweeps import sweep_register
        from webhooks import receivers  # noqa: F401
        from webhooks.services import deliveries_sweep
        from webhooks.streams import log_streams_wake

        sweep_register("webhooks", deliveries_sweep)
        sweep_register("log_streams", log_streams_wake)
