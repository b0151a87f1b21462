"""Users import and export jobs: created by the Management API, run by the worker.

An import goes through ``users_import`` (the service behind ``manage.py import_users``), entry by
entry as Auth0 does: entries it refuses are reported in the job's errors and the rest go in. The
uploaded file can hold password hashes, so the end of the job, whatever it is, empties it.
An export never holds a password hash: its rows are the Management API's user objects.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.events import log_event
from accounts.imports import ImportRefused, users_import
from accounts.jobs.models import Job, JobStatus, JobType
from accounts.jobs.tasks import job_run_task
from accounts.models import Application, Connection, LogType, User, email_key
from accounts.selectors import tenant_users

logger = logging.getLogger(__name__)

# Never copied from an import file into the job's errors.
SECRET_KEYS = frozenset({"password", "password_hash", "custom_password_hash"})
DUPLICATED = "The user already exist and upsert parameter is false"
# Auth0's export fields when the request names none.
DEFAULT_EXPORT_FIELDS = (
    "user_id",
    "email",
    "email_verified",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "username",
    "picture",
    "created_at",
    "updated_at",
    "last_login",
    "logins_count",
    "blocked",
)


def _enqueue(job_id: str) -> None:
    job_run_task.enqueue(job_id=job_id)


def _job_queue(job: Job) -> None:
    """Queue the job: in the same transaction when the queue is a table, after it otherwise."""
    if _tasks_in_database():
        _enqueue(job.id)
    else:
        transaction.on_commit(partial(_enqueue, job.id))


@transaction.atomic
def users_import_job_create(
    *,
    connection: Connection,
    upload: bytes,
    upsert: bool,
    external_id: str,
    send_completion_email: bool,
    application: Application | None,
) -> Job:
    """Keep the file in a pending job and queue it for the worker."""
    job = Job.objects.create(
        type=JobType.USERS_IMPORT,
        connection=connection,
        application=application,
        external_id=external_id,
        options={"upsert": upsert, "send_completion_email": send_completion_email},
        upload=upload,
    )
    _job_queue(job)
    return job


@transaction.atomic
def users_export_job_create(
    *,
    connection: Connection | None,
    format: str,
    fields: list[dict[str, str]],
    limit: int | None,
    application: Application | None,
) -> Job:
    """A pending export job, queued for the worker (``connection`` None: every connection)."""
    job = Job.objects.create(
        type=JobType.USERS_EXPORT,
        connection=connection,
        application=application,
        options={"format": format, "fields": fields, "limit": limit},
    )
    _job_queue(job)
    return job


def _lease() -> timedelta:
    return timedelta(seconds=settings.REKEY_TASK_LEASE_SECONDS)


def job_run(*, job_id: str) -> str:
    """Run the job unless it has ended or another worker runs it; a run cut short (a killed
    worker, its lease run out) starts over."""
    now = timezone.now()
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(
            Q(status=JobStatus.PENDING)
            | Q(status=JobStatus.PROCESSING, updated_at__lt=now - _lease())
        )
        .update(status=JobStatus.PROCESSING, runs=F("runs") + 1, updated_at=now)
    )
    if not claimed:
        return "ended"
    job = Job.objects.select_related("connection", "application").get(pk=job_id)
    try:
        with transaction.atomic():
            if job.type == JobType.USERS_IMPORT:
                _import_run(job)
            else:
                _export_run(job)
            job.upload = None
            job.save()
    except Exception:
        logger.exception("job %s failed", job_id)
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, upload=None, status_details="Internal error"
        )
        return JobStatus.FAILED
    return job.status


def jobs_sweep() -> dict[str, int]:
    """Wake the jobs whose wake-up or worker was lost; fail those that keep losing their worker.

    With a broker, a job's wake-up can be lost with a worker killed just after taking it (RQ's
    BLPOP), and a worker killed mid-run leaves its job ``processing``: either, untouched for a
    lease, is handed back (pending) and queued again; the run that claims it starts it over.
    One that started ``REKEY_TASK_MAX_RUNS`` runs fails, its upload erased. With the
    database as the queue its task row's own lease does this, and nothing is done here.
    """
    counts = {"woken": 0, "failed": 0}
    if _tasks_in_database():
        return counts
    stale = Job.objects.filter(
        status__in=[JobStatus.PENDING, JobStatus.PROCESSING],
        updated_at__lt=timezone.now() - _lease(),
    )
    counts["failed"] = stale.filter(runs__gte=settings.REKEY_TASK_MAX_RUNS).update(
        status=JobStatus.FAILED,
        upload=None,
        status_details="The job's worker stopped before it ended, too many times.",
        updated_at=timezone.now(),
    )
    for job_id in list(stale.values_list("id", flat=True)[:100]):
        # Handed back (pending) and touched, so that the next sweep waits a lease before
        # waking it again; whichever run claims it first runs it.
        Job.objects.filter(pk=job_id).update(status=JobStatus.PENDING, updated_at=timezone.now())
        _enqueue(job_id)
        counts["woken"] += 1
    if any(counts.values()):
        logger.warning("jobs sweep: %(woken)s jobs queued again, %(failed)s failed", counts)
    return counts


def _tasks_in_database() -> bool:
    return str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db.")


def _failed(job: Job, details: str) -> None:
    job.status = JobStatus.FAILED
    job.status_details = details
    logger.warning("job %s failed: %s", job.id, details)


def _import_run(job: Job) -> None:
    try:
        entries = json.loads(bytes(job.upload or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _failed(job, "The file is not valid JSON.")
    if not isinstance(entries, list):
        return _failed(job, "The file must hold a JSON array of users.")
    upsert = bool(job.options.get("upsert"))
    connection = job.connection
    assert connection is not None  # an import always names its connection
    failed: dict[int, list[dict[str, str]]] = {}
    if not upsert:
        keys = {
            email_key(entry["email"]): index
            for index, entry in enumerate(entries)
            if isinstance(entry, dict) and isinstance(entry.get("email"), str)
        }
        taken = User.objects.filter(connection=connection, email_key__in=keys)
        for key in taken.values_list("email_key", flat=True):
            failed[keys[key]] = [_error("DUPLICATED_USER", DUPLICATED)]
    # Each pass takes out the entries users_import refused; one refusal can reveal another
    # (two entries sharing a user_id), hence a few passes, each all-or-nothing.
    for _ in range(3):
        remaining = [index for index in range(len(entries)) if index not in failed]
        try:
            result = users_import(
                connection=connection,
                entries=[entries[index] for index in remaining],
                upsert=upsert,
                application=job.application,
                job_id=job.id,
            )
        except ImportRefused as exc:
            by_entry, general = exc.by_entry()
            if general or not by_entry:
                return _failed(job, "; ".join(general)[:500] or "The import was refused.")
            for local, messages in by_entry.items():
                failed[remaining[local]] = [_error(_code(m), m) for m in messages]
            continue
        job.status = JobStatus.COMPLETED
        job.summary = {
            "failed": len(failed),
            "updated": result.updated,
            "inserted": result.created,
            "total": len(entries),
        }
        job.errors = [
            {"user": _without_secrets(entries[index]), "errors": errors}
            for index, errors in sorted(failed.items())
        ]
        return None
    return _failed(job, "The import was refused.")


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message, "path": ""}


def _code(message: str) -> str:
    if "exists already" in message or "duplicate" in message:
        return "DUPLICATED_USER"
    return "INVALID_FORMAT"


def _without_secrets(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return {}
    return {key: value for key, value in entry.items() if key not in SECRET_KEYS}


def exports_purge(*, retention_hours: int | None = None) -> int:
    """Delete the files of exports finished longer ago than ``REKEY_TASK_RETENTION_HOURS``
    (they hold the users' personal data); their jobs stay, without a file. Returns how many."""
    hours = settings.REKEY_TASK_RETENTION_HOURS if retention_hours is None else retention_hours
    stale = Job.objects.filter(
        type=JobType.USERS_EXPORT,
        updated_at__lt=timezone.now() - timedelta(hours=hours),
    ).exclude(result_file="")
    count = 0
    for job in stale:
        export_path(job).unlink(missing_ok=True)
        Job.objects.filter(pk=job.pk).update(result_file="")
        count += 1
    return count


def export_path(job: Job) -> Path:
    """Where the export's file is (the name is the job's, never a caller's)."""
    return Path(settings.VAR_DIR) / "exports" / job.result_file


def _export_run(job: Job) -> None:
    from accounts.api.serializers.users import ManagementUserSerializer

    fields = job.options.get("fields") or [{"name": name} for name in DEFAULT_EXPORT_FIELDS]
    fields = [f for f in fields if f["name"] not in SECRET_KEYS]
    users = (
        User.objects.filter(connection=job.connection)
        if job.connection is not None
        else tenant_users()
    ).order_by("created_at", "id")
    if limit := job.options.get("limit"):
        users = users[:limit]
    csv_format = job.options.get("format") == "csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer) if csv_format else None
    if writer is not None:
        writer.writerow([f.get("export_as") or f["name"] for f in fields])
    count = 0
    for user in users.select_related("connection").iterator(chunk_size=1000):
        data = ManagementUserSerializer(user).data
        row = {f.get("export_as") or f["name"]: _field(data, f["name"]) for f in fields}
        if writer is not None:
            writer.writerow(["" if v is None else _cell(v) for v in row.values()])
        else:
            # Auth0's "json" export is newline-delimited JSON, one user a line.
            buffer.write(json.dumps(row, separators=(",", ":")) + "\n")
        count += 1
    job.result_file = f"{job.id}.{'csv' if csv_format else 'json'}.gz"
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8")))
    job.status = JobStatus.COMPLETED
    job.summary = {"total": count}
    log_event(
        type=LogType.SUCCESS_API_OPERATION,
        description="Bulk user export",
        application=job.application,
        connection_name=job.connection.name if job.connection is not None else "",
        connection_id=job.connection_id or "",
        details={"exported": count, "door": "job", "job_id": job.id},
    )


def _field(data: dict[str, Any], name: str) -> Any:
    """A property of the user object; ``app_metadata.plan`` reaches into an object."""
    value: Any = data
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell(value: Any) -> str:
    return json.dumps(value) if isinstance(value, dict | list) else str(value)
