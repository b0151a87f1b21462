"""django.tasks task of the jobs, run by ``bin/worker`` on the default queue."""

from __future__ import annotations

from django.tasks import task

# The name of the email app's request queue: accounts does not import emails.
JOB_QUEUE = "default"


@task(queue_name=JOB_QUEUE)
def job_run_task(job_id: str) -> str:
    """Run one users import or export job (a no-op once it has ended)."""
    from accounts.jobs.services import job_run

    return job_run(job_id=job_id)
