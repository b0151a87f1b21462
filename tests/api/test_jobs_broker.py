"""Issue 10: a users job is never stuck with RQ as the task engine.

A job's wake-up can be lost with a worker killed just after RQ's BLPOP, and a worker killed
mid-run leaves its job ``processing``. The sweep queues either again once a lease has passed,
and fails a job that keeps killing its worker. Real Redis, a real RQ worker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

# Imported under the embedded settings, as in tests/tickets/test_broker_requests.py.
import accounts.jobs.tasks  # noqa: F401
from accounts.jobs.models import Job, JobStatus, JobType
from accounts.jobs.services import jobs_sweep, users_export_job_create
from tests.factories import UserFactory
from tests.tickets.test_broker_requests import later, rq_tasks, rq_work  # noqa: F401

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def export_job(rq_tasks, connection, settings, tmp_path):  # noqa: F811
    settings.VAR_DIR = tmp_path
    UserFactory(connection=connection, email="a@example.com")
    return users_export_job_create(
        connection=connection, format="json", fields=[], limit=None, application=None
    )


def test_a_job_whose_wake_up_was_lost_is_queued_again_and_runs_once(rq_tasks, export_job):  # noqa: F811
    queue = rq_tasks._queue("default")
    assert queue.count == 1
    queue.connection.lpop(queue.key)  # what a worker killed right after BLPOP leaves

    assert jobs_sweep() == {"woken": 0, "failed": 0}  # within its lease: its wake-up may come
    with later(60):
        assert jobs_sweep() == {"woken": 1, "failed": 0}
        rq_work()

    job = Job.objects.get(pk=export_job.pk)
    assert (job.status, job.runs, job.summary) == (JobStatus.COMPLETED, 1, {"total": 1})


def test_a_job_whose_worker_died_mid_run_starts_over(rq_tasks, export_job):  # noqa: F811
    rq_tasks._queue("default").empty()
    stale = timezone.now() - timedelta(minutes=5)
    Job.objects.filter(pk=export_job.pk).update(
        status=JobStatus.PROCESSING, runs=1, updated_at=stale
    )

    assert jobs_sweep() == {"woken": 1, "failed": 0}
    rq_work()

    job = Job.objects.get(pk=export_job.pk)
    assert (job.status, job.runs) == (JobStatus.COMPLETED, 2)


def test_a_running_job_is_not_started_twice(rq_tasks, export_job):  # noqa: F811
    Job.objects.filter(pk=export_job.pk).update(status=JobStatus.PROCESSING, runs=1)
    rq_work()  # its own wake-up, while another worker is at it (within the lease)

    job = Job.objects.get(pk=export_job.pk)
    assert (job.status, job.runs) == (JobStatus.PROCESSING, 1)


def test_a_job_that_keeps_killing_its_worker_fails(rq_tasks, export_job, settings):  # noqa: F811
    settings.REKEY_TASK_MAX_RUNS = 3
    Job.objects.filter(pk=export_job.pk).update(status=JobStatus.PROCESSING, runs=3)

    with later(60):
        assert jobs_sweep() == {"woken": 0, "failed": 1}

    job = Job.objects.get(pk=export_job.pk)
    assert job.status == JobStatus.FAILED and job.type == JobType.USERS_EXPORT
    assert "too many times" in job.status_details
