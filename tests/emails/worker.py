"""Drive django-tasks-db's real worker (the code behind ``manage.py db_worker --batch``)."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Worker


def run_worker(max_tasks: int | None = None) -> None:
    """Run ready tasks of every queue until none is left (tasks enqueued meanwhile included)."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id="pytest",
        excluded_queue_names=[],
    ).run()
