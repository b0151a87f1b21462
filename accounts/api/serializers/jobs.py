"""Serializers of the jobs (users imports and exports)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from accounts.api.serializers.base import Auth0DateTimeField, StrictInputSerializer
from accounts.jobs.models import Job, JobStatus, JobType


class UsersImportJobInputSerializer(StrictInputSerializer):
    users = serializers.FileField(help_text="A JSON array of users in Auth0's bulk format")
    connection_id = serializers.CharField(max_length=64)
    upsert = serializers.BooleanField(required=False, default=False)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=255)
    send_completion_email = serializers.BooleanField(required=False, default=True)


class ExportFieldSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    export_as = serializers.CharField(required=False, max_length=128)


class UsersExportJobInputSerializer(StrictInputSerializer):
    # Without it, the users of every connection are exported, as Auth0 does.
    connection_id = serializers.CharField(max_length=64, required=False)
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")
    limit = serializers.IntegerField(required=False, min_value=1)
    fields = ExportFieldSerializer(many=True, required=False)  # type: ignore[assignment]


class JobSummarySerializer(serializers.Serializer):
    failed = serializers.IntegerField(required=False)
    updated = serializers.IntegerField(required=False)
    inserted = serializers.IntegerField(required=False)
    total = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    """A job as Auth0 answers one; the properties present depend on its type and state."""

    status = serializers.ChoiceField(choices=JobStatus.choices)
    type = serializers.ChoiceField(choices=JobType.choices)
    created_at = Auth0DateTimeField()
    id = serializers.CharField()
    connection_id = serializers.CharField(required=False)
    connection = serializers.CharField(required=False)
    external_id = serializers.CharField(required=False)
    summary = JobSummarySerializer(required=False)
    status_details = serializers.CharField(required=False)
    format = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False)
    fields = ExportFieldSerializer(many=True, required=False)  # type: ignore[assignment]
    location = serializers.CharField(required=False)


class JobUserErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    path = serializers.CharField()


class JobErrorSerializer(serializers.Serializer):
    """One refused entry of an import: the user as in the file (hashes taken out)."""

    user = serializers.DictField()
    errors = JobUserErrorSerializer(many=True)  # type: ignore[assignment]


def job_data(job: Job, *, full: bool = True) -> dict[str, Any]:
    """The job as Auth0 answers it: at creation (``full=False``) and on GET."""
    data: dict[str, Any] = {
        "status": job.status,
        "type": job.type,
        "created_at": Auth0DateTimeField().to_representation(job.created_at),
        "id": job.id,
    }
    if job.connection_id:  # absent for an export of every connection, as in Auth0's answer
        data["connection_id"] = job.connection_id
    if job.external_id:
        data["external_id"] = job.external_id
    if job.type == JobType.USERS_EXPORT:
        data["format"] = job.options.get("format", "json")
        if job.options.get("limit"):
            data["limit"] = job.options["limit"]
        if job.options.get("fields"):
            data["fields"] = job.options["fields"]
    if not full:
        return data
    if job.connection is not None:
        data["connection"] = job.connection.name
    if job.status == JobStatus.FAILED and job.status_details:
        data["status_details"] = job.status_details
    if job.summary is not None and job.type == JobType.USERS_IMPORT:
        data["summary"] = job.summary
    if job.status == JobStatus.COMPLETED and job.type == JobType.USERS_EXPORT:
        data["location"] = f"{settings.PUBLIC_URL}/api/v2/jobs/{job.id}/file"
    return data
