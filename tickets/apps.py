from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.sweeps import purge_register, sweep_register
        from tickets import receivers  # noqa: F401  (revokes tickets when a password changes)
        from tickets.requests import reset_requests_sweep
        from tickets.services import tickets_purge

        sweep_register("requests", reset_requests_sweep)
        purge_register("purged_tickets", tickets_purge)
