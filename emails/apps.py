from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The unblock link of a blocked account; anymail's tracking signal.
        from accounts.sweeps import purge_register, sweep_register
        from emails import receivers  # noqa: F401
        from emails.delivery import outbox_sweep
        from emails.queue import tasks_purge, tasks_stalled_requeue

        sweep_register("tasks", tasks_stalled_requeue)
        sweep_register("outbox", outbox_sweep)
        purge_register("purged_tasks", tasks_purge)
