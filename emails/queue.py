"""The task queue under the outbox: a worker that survives outages, the sweep, the purge.

With django-tasks-db (the embedded default) the queue is a table, and a task claimed by a
worker that then died would stay ``RUNNING`` for ever: ``tasks_stalled_requeue`` hands such a
task back after its lease. ``ResilientWorker`` is django-tasks-db's worker loop that
reconnects instead of exiting when the database goes away, and puts a task that met an outage
of ours (database, Redis) back in the queue with a backoff instead of failing it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from accounts.events import log_event
from accounts.models import LogType
from emails.resilience import DATABASE_ERRORS, backoff_seconds, infrastructure_down

logger = logging.getLogger(__name__)

DATE_MAX_YEAR = 9999


def tasks_in_database() -> bool:
    """True when the configured task backend is django-tasks-db (the queue is a table)."""
    return str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db.")


def task_wake(task: Any, *args: Any, run_after: datetime | None = None, what: str = "") -> None:
    """Enqueue ``task`` for an outbox row (after the commit when the queue is not the database).

    With the database as queue the task row commits with the outbox row; with a broker the
    message goes out after the commit, so a worker never looks for a row not yet visible. A
    wake-up lost in between (a crash, a broker outage) is made good by the row's sweep.
    """
    task = task.using(run_after=run_after) if run_after else task
    if tasks_in_database():
        task.enqueue(*args)
        return

    def wake() -> None:
        try:
            task.enqueue(*args)
        except Exception as exc:
            logger.warning(
                "%s: the task queue is unavailable (%s); the sweep will enqueue it again",
                what or task.name,
                type(exc).__name__,
            )

    transaction.on_commit(wake)


def _lease() -> timedelta:
    return timedelta(seconds=settings.REKEY_TASK_LEASE_SECONDS)


def tasks_stalled_requeue() -> dict[str, int]:
    """Put ``RUNNING`` tasks whose lease ran out back in the queue (django-tasks-db only).

    A task that has lost ``REKEY_TASK_MAX_RUNS`` workers is failed instead, with ``fn``
    logged, so that a task that kills its worker cannot do so for ever.
    """
    counts = {"requeued": 0, "failed": 0}
    if not tasks_in_database():
        from emails.engine import abandoned_jobs_requeue

        counts["requeued"] = abandoned_jobs_requeue()
        return counts
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    with transaction.atomic():
        stalled = list(
            DBTaskResult.objects.running()
            .select_for_update(skip_locked=True)
            .filter(started_at__lt=now - _lease())[:500]
        )
        for result in stalled:
            if len(result.worker_ids) >= settings.REKEY_TASK_MAX_RUNS:
                DBTaskResult.objects.filter(pk=result.pk).update(
                    status="FAILED",
                    finished_at=now,
                    exception_class_path="emails.queue.LeaseExpired",
                    traceback="",
                )
                task_failed_log(result.task_path, str(result.pk), "LeaseExpired")
                counts["failed"] += 1
                continue
            DBTaskResult.objects.filter(pk=result.pk).update(status="READY", run_after=now)
            counts["requeued"] += 1
    if any(counts.values()):
        logger.warning(
            "task sweep: %(requeued)s tasks whose worker died queued again, %(failed)s failed",
            counts,
        )
    return counts


def task_failed_log(task_path: str, task_id: str, error: str) -> None:
    log_event(
        type=LogType.FAILED_NOTIFICATION,
        description=f"Task failed for good ({task_path.rsplit('.', 1)[-1]}): {error}",
        details={"task": task_path, "task_id": task_id, "error": error},
    )


def tasks_purge(*, retention_hours: int | None = None) -> int:
    """Delete finished task results past the retention (their arguments hold emails and IPs)."""
    hours = settings.REKEY_TASK_RETENTION_HOURS if retention_hours is None else retention_hours
    if not tasks_in_database():
        return 0  # a broker keeps results for REKEY_TASK_RETENTION_HOURS itself (result_ttl)
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(hours=hours)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def _worker_class() -> type:
    from django_tasks_db.management.commands.db_worker import Worker

    class ResilientWorker(Worker):  # type: ignore[misc,valid-type]
        """django-tasks-db's loop, kept alive through outages of the database or Redis."""

        def run(self) -> None:
            failures = 0
            while True:
                try:
                    super().run()
                    return
                except DATABASE_ERRORS as exc:
                    failures += 1
                    delay = min(30, 2 ** min(failures, 5))
                    logger.error(
                        "worker %s: the database is unavailable (%s); reconnecting in %s s. "
                        "Tasks it held are queued again by the sweep after their lease.",
                        self.worker_id,
                        type(exc).__name__,
                        delay,
                    )
                    for conn in connections.all():
                        conn.close_if_unusable_or_obsolete()
                        with contextlib.suppress(Exception):  # it is broken already
                            conn.close()
                    self.startup_delay = False
                    if not self.running:
                        return
                    time.sleep(delay)

        def run_task(self, db_task_result: Any) -> None:
            try:
                self.running_task = True
                task = db_task_result.task
                task_result = db_task_result.task_result
                if task.takes_context:
                    from django.tasks import TaskContext

                    value = task.call(
                        TaskContext(task_result=task_result),
                        *task_result.args,
                        **task_result.kwargs,
                    )
                else:
                    value = task.call(*task_result.args, **task_result.kwargs)
                db_task_result.set_successful(value)
            except Exception as exc:
                down = infrastructure_down(exc)
                if not down:
                    logger.error(
                        "task %s id=%s failed: %s",
                        db_task_result.task_path,
                        db_task_result.pk,
                        type(exc).__name__,
                    )
                    db_task_result.set_failed(exc)
                    task_failed_log(
                        db_task_result.task_path, str(db_task_result.pk), type(exc).__name__
                    )
                    return
                self._retry_later(db_task_result, down, exc)
            finally:
                self.running_task = False
                self._run_tasks += 1

        def _retry_later(self, db_task_result: Any, down: str, exc: BaseException) -> None:
            from django_tasks_db.models import DBTaskResult

            attempt = len(db_task_result.worker_ids)
            delay = backoff_seconds(attempt, settings.REKEY_TASK_RETRY_BACKOFF)
            what = (
                "rate limits are unavailable (Redis)"
                if down == "redis"
                else "the database is unavailable"
            )
            logger.warning(
                "task %s id=%s: %s (%s); it will be tried again in %s s, not failed",
                db_task_result.task_path.rsplit(".", 1)[-1],
                db_task_result.pk,
                what,
                type(exc).__name__,
                delay,
            )
            if down == "database":
                close_old_connections()
            # Raises again when the database is down: the loop reconnects, and the sweep
            # hands the task back after its lease.
            DBTaskResult.objects.filter(pk=db_task_result.pk).update(
                status="READY", run_after=timezone.now() + timedelta(seconds=delay)
            )

    return ResilientWorker


def worker_run(
    *, queue_names: list[str], batch: bool = False, worker_id: str, interval: float = 0.2
) -> None:
    """Run one django-tasks-db worker that survives outages (``manage.py rekey_worker``)."""
    worker = _worker_class()(
        queue_names=queue_names,
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    if not batch:
        worker.configure_signals()
    worker.run()
