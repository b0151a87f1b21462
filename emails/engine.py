"""The production task engine: RQ on Redis, behind django.tasks (django-tasks-rq).

The tasks stay written against ``django.tasks``; ``RekeyRQBackend`` is django-tasks-rq's
backend with what durability needs added to every job: RQ retries (an outage of the database
or Redis in the worker, and a job abandoned by a killed worker, are tried again with a
backoff), and a result TTL so that arguments holding emails and IPs do not stay in Redis past
``REKEY_TASK_RETENTION_HOURS``. Redis must persist (``appendonly yes``): see docs/deploy.md.
"""

from __future__ import annotations

import logging
from typing import Any

import django_rq
from django.conf import settings
from django.db import close_old_connections
from django.utils.functional import cached_property
from django_tasks.base import TASK_MAX_PRIORITY, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id
from django_tasks_rq.backend import Job, RQBackend, failed_callback
from rq import Retry
from rq.job import Callback, JobStatus
from rq.job import Job as BaseJob
from rq.registry import StartedJobRegistry
from rq.worker import SimpleWorker

logger = logging.getLogger(__name__)


def _retry() -> Retry:
    return Retry(
        max=settings.REKEY_TASK_MAX_RETRIES, interval=list(settings.REKEY_TASK_RETRY_BACKOFF)
    )


class RekeyJob(Job):
    """django-tasks-rq's job, without what cost a worker Redis connections per job.

    Its ``perform`` computed the task result (a new Redis connection pool, the job's status and
    results) only to send ``task_started``, which nothing in Rekey listens to; the task result
    is still built, on the cached queue, for the tasks that take a context.
    """

    def perform(self) -> Any:
        return BaseJob.perform(self)

    @cached_property
    def task_result(self) -> TaskResult:
        django_rq.get_queue = lambda name, **kwargs: _queue(name)  # type: ignore[assignment]
        try:
            return Job.task_result.func(self)  # type: ignore[attr-defined,no-any-return]
        finally:
            django_rq.get_queue = _get_queue


_queues: dict[str, Any] = {}
_get_queue = django_rq.get_queue


def _queue(name: str) -> Any:
    """The RQ queue of that name, made once per process: django_rq.get_queue opens a new Redis
    connection pool at every call, which cost a TCP connection per request."""
    if name not in _queues:
        _queues[name] = _get_queue(name, job_class=RekeyJob)
    return _queues[name]


def job_timeout() -> int:
    """A job's time limit: its lease less the margin in which its worker's death is noticed."""
    return max(5, settings.REKEY_TASK_LEASE_SECONDS - 10)


class RekeyRQBackend(RQBackend):
    """django-tasks-rq's backend; every job gets retries, a timeout and a result TTL."""

    # Deliveries go ahead of requests by queue (a worker serves "email" first); a priority
    # is accepted so that the tasks stay engine-neutral.
    supports_priority = True

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> TaskResult:  # type: ignore[override]
        self.validate_task(task)
        task_result: TaskResult = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        queue = _queue(task.queue_name)
        retention = settings.REKEY_TASK_RETENTION_HOURS * 3600
        job = queue.create_job(
            task.module_path,
            args=args,
            kwargs=kwargs,
            job_id=task_result.id,
            status=JobStatus.SCHEDULED if task.run_after else JobStatus.QUEUED,
            # django-tasks-rq's callbacks only send task_finished (nothing here listens), at the
            # cost of the task result's Redis round trips: the failure one keeps the
            # exception's class for the task result, the success one is dropped.
            on_failure=Callback(failed_callback),
            meta={"backend_name": self.alias},
            retry=_retry(),
            timeout=job_timeout(),
            result_ttl=retention,
            failure_ttl=retention,
        )
        if task.run_after is None:
            job = queue.enqueue_job(job, at_front=task.priority == TASK_MAX_PRIORITY)
        else:
            job = queue.schedule_job(job, task.run_after)
        object.__setattr__(task_result, "enqueued_at", job.enqueued_at)
        task_enqueued.send(type(self), task_result=task_result)
        return task_result


class RekeyWorker(SimpleWorker):
    """RQ's in-process worker (no fork per job), with Django's connection hygiene per job.

    A killed worker's job is "abandoned": ``abandoned_jobs_requeue`` (run by the sweep) hands
    it back through RQ's own retry.
    """

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        # RQ adds a fixed minute; the lease is the promise ("picked up within a minute").
        return job_timeout() + 10

    def execute_job(self, job: Any, queue: Any) -> Any:
        close_old_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()


def abandoned_jobs_requeue() -> int:
    """Let RQ retry the jobs of workers that died (their heartbeat ran out); returns how many."""
    count = 0
    for name in settings.RQ_QUEUES:
        queue = _queue(name)
        registry = StartedJobRegistry(queue=queue, job_class=RekeyJob)
        expired = registry.get_expired_job_ids()
        if expired:
            registry.cleanup()
            count += len(expired)
    if count:
        logger.warning("task sweep: %s jobs abandoned by a dead worker handed back to RQ", count)
    return count


def wake_once(task: Any, *, key: str, ttl: int) -> bool:
    """Enqueue ``task`` (no arguments) unless a wake-up of it waits untaken; True if enqueued.

    One ``SET NX`` a call: under load, one job wakes a worker for many rows (which it claims
    as a batch from the database, the source of truth), not one job a row. The worker calls
    ``wake_taken`` before it claims, so a row committed after that claim's snapshot finds the
    key gone and enqueues the next wake-up. The key expires after ``ttl`` seconds, so a
    wake-up lost with its worker stops suppressing others; the sweep wakes what it left.
    """
    connection = _queue(task.queue_name).connection
    if not connection.set(f"rq:rekey-wake:{key}", 1, nx=True, ex=ttl):
        return False
    try:
        task.enqueue()
    except Exception:
        connection.delete(f"rq:rekey-wake:{key}")
        raise
    return True


def wake_taken(task: Any, *, key: str) -> None:
    """A worker took the wake-up of ``key``: the next new row must enqueue another."""
    _queue(task.queue_name).connection.delete(f"rq:rekey-wake:{key}")


def queue_length(name: str) -> int:
    """How many jobs wait in an RQ queue (one LLEN)."""
    return int(_queue(name).count)


class Scheduler:
    """RQ's scheduler (due retries and delayed deliveries), run by the sweep process.

    Not by the workers: a worker killed while it holds RQ's scheduler lock would stop every
    scheduled job for the lock's minute; the sweep is one small process that is never busy.
    """

    def __init__(self) -> None:
        from rq.scheduler import RQScheduler

        queues = [_queue(name) for name in settings.RQ_QUEUES]
        self.scheduler = RQScheduler(queues, connection=queues[0].connection)

    def tick(self) -> None:
        """Move due scheduled jobs to their queues (when this process holds the lock)."""
        self.scheduler.acquire_locks()
        if self.scheduler._acquired_locks:
            self.scheduler.enqueue_scheduled_jobs()

    def stop(self) -> None:
        """Release the lock, so that another sweep takes over at once."""
        self.scheduler.release_locks()


def rq_worker_run(*, queue_names: list[str], batch: bool, worker_id: str) -> None:
    """Run one RQ worker on the queues, in order (deliveries first); the sweep schedules."""
    worker = django_rq.get_worker(
        *queue_names,
        job_class=RekeyJob,
        worker_class=RekeyWorker,  # type: ignore[arg-type]
        name=worker_id,
    )
    worker.work(burst=batch, with_scheduler=False, logging_level="WARNING")
