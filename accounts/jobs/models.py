"""A job of the Management API, as Auth0 keeps one: its kind, state, summary and errors."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models.applications import Application
from accounts.models.ids import _random_alnum
from accounts.models.users import Connection


def new_job_id() -> str:
    return "job_" + _random_alnum(16)


class JobType(models.TextChoices):
    USERS_IMPORT = "users_import"
    USERS_EXPORT = "users_export"
    VERIFICATION_EMAIL = "verification_email"


class JobStatus(models.TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Job(models.Model):
    id = models.CharField(primary_key=True, max_length=24, default=new_job_id, editable=False)
    type = models.CharField(max_length=24, choices=JobType.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    # None: an export of every tenant connection's users (Auth0's export without connection_id).
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="jobs", null=True, blank=True
    )
    application = models.ForeignKey(
        Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    external_id = models.CharField(max_length=255, blank=True)
    # upsert and send_completion_email (imports); format, fields and limit (exports).
    options = models.JSONField(default=dict, blank=True)
    # The uploaded file while the job waits: it may hold password hashes, so the job's end
    # empties it (jobs_run), whatever the outcome.
    upload = models.BinaryField(null=True, blank=True)
    summary = models.JSONField(null=True, blank=True)
    # Auth0's [{"user": ..., "errors": [{"code", "message", "path"}]}], hashes taken out.
    errors = models.JSONField(default=list, blank=True)
    status_details = models.CharField(max_length=500, blank=True)
    # The export's file name under REKEY_VAR_DIR/exports (never a path from outside).
    result_file = models.CharField(max_length=64, blank=True)
    # Runs started by a worker: a job whose worker keeps dying is failed for good (jobs_sweep).
    runs = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.type}, {self.status})"
