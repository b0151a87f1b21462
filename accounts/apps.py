from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import config_cache
        from accounts.bruteforce import connect_receivers
        from accounts.oidc import receivers  # noqa: F401  (CORS for the OIDC endpoints)

        connect_receivers()
        config_cache.connect_receivers()
        from accounts.jobs.services import exports_purge, jobs_sweep
        from accounts.sweeps import purge_register, sweep_register

        sweep_register("jobs", jobs_sweep)
        purge_register("purged_exports", exports_purge)
