"""Jobs: users imports and exports run by the worker, their state, errors and files."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.auth import ManagementApi
from accounts.api.errors import ErrorCode, ManagementApiError, bad_request, not_found
from accounts.api.serializers.base import error_responses
from accounts.api.serializers.jobs import (
    JobErrorSerializer,
    JobSerializer,
    UsersExportJobInputSerializer,
    UsersImportJobInputSerializer,
    job_data,
)
from accounts.jobs.models import Job, JobStatus, JobType
from accounts.jobs.services import export_path, users_export_job_create, users_import_job_create
from accounts.models import Connection
from accounts.selectors import connection_by_id

TAG = "Jobs"
JOB_ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The job's id, e.g. job_..."
)
# Auth0: "create:users" or "read:users" reads a job of either kind.
JOB_READ_SCOPES = ("create:users", "read:users")


def job_or_404(job_id: str) -> Job:
    job = Job.objects.select_related("connection").filter(pk=job_id).first()
    if job is None:
        raise not_found("The job does not exist.", ErrorCode.INEXISTENT_JOB)
    return job


def database_connection_or_400(connection_id: str) -> Connection:
    connection = connection_by_id(connection_id)
    if connection is None or not connection.is_database:
        raise bad_request(
            f"The connection does not exist: {connection_id}", ErrorCode.INEXISTENT_CONNECTION
        )
    return connection


class UsersImportJobCreateApi(ManagementApi):
    """Import users from a file in Auth0's bulk format, in the worker."""

    required_scopes = {"POST": ("create:users",)}
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=[TAG],
        operation_id="post_users_imports",
        summary="Create an import users job",
        description=(
            "The `users` file is Auth0's bulk import JSON (`custom_password_hash` with bcrypt "
            "or argon2 keeps passwords). Entries refused are listed by "
            "`GET /api/v2/jobs/{id}/errors`; the others are imported. The file is deleted "
            "when the job ends. `send_completion_email` is accepted and ignored: Rekey has no "
            "tenant owners to write to."
        ),
        request={"multipart/form-data": UsersImportJobInputSerializer},
        responses={202: JobSerializer, **error_responses(400, 413)},
    )
    def post(self, request: Request) -> Response:
        """Keep the file in a new job and queue it; answers the pending job."""
        data = self.body(UsersImportJobInputSerializer)
        upload = data["users"]
        if upload.size > settings.REKEY_IMPORT_MAX_BYTES:
            raise ManagementApiError(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                f"The users file is larger than {settings.REKEY_IMPORT_MAX_BYTES} bytes.",
                ErrorCode.TOO_LARGE,
            )
        connection = database_connection_or_400(data["connection_id"])
        job = users_import_job_create(
            connection=connection,
            upload=upload.read(),
            upsert=data["upsert"],
            external_id=data.get("external_id", ""),
            send_completion_email=data["send_completion_email"],
            application=self.client.application,
        )
        return Response(job_data(job, full=False), status=status.HTTP_202_ACCEPTED)


class UsersExportJobCreateApi(ManagementApi):
    """Export a connection's users to a file, in the worker."""

    required_scopes = {"POST": ("read:users",)}

    @extend_schema(
        tags=[TAG],
        operation_id="post_users_exports",
        summary="Create an export users job",
        description=(
            "`format` json (one user a line, as Auth0's) or csv, gzip-compressed. `fields` "
            "names the properties (`export_as` renames one); password hashes are never "
            "exported. When done, `GET /api/v2/jobs/{id}` gives the file's `location`, read "
            "with the same bearer token (`read:users`)."
        ),
        request=UsersExportJobInputSerializer,
        responses={201: JobSerializer, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        """Queue an export of the connection's users (every connection's without
        ``connection_id``); answers the pending job."""
        data = self.body(UsersExportJobInputSerializer)
        connection = (
            database_connection_or_400(data["connection_id"]) if "connection_id" in data else None
        )
        job = users_export_job_create(
            connection=connection,
            format=data["format"],
            fields=[dict(field) for field in data.get("fields", [])],
            limit=data.get("limit"),
            application=self.client.application,
        )
        return Response(job_data(job, full=False), status=status.HTTP_201_CREATED)


class JobGetApi(ManagementApi):
    """Get a job."""

    required_scopes = {"GET": JOB_READ_SCOPES}

    @extend_schema(
        tags=[TAG],
        operation_id="get_jobs_by_id",
        summary="Get a job",
        parameters=[JOB_ID_PARAMETER],
        responses={200: JobSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The job's status; an import's summary, an export's location once completed."""
        return Response(job_data(job_or_404(id)))


class JobErrorsApi(ManagementApi):
    """Get the errors of an import job."""

    required_scopes = {"GET": JOB_READ_SCOPES}

    @extend_schema(
        tags=[TAG],
        operation_id="get_errors",
        summary="Get job error details",
        description=(
            "Each refused entry with its errors (password hashes taken out). A job that failed "
            "as a whole answers the job itself with `status_details`; one without errors, 204."
        ),
        parameters=[JOB_ID_PARAMETER],
        responses={
            200: JobErrorSerializer(many=True),
            204: OpenApiResponse(description="The job has no errors."),
            **error_responses(404),
        },
    )
    def get(self, request: Request, id: str) -> Response:
        """The refused entries of the job."""
        job = job_or_404(id)
        if job.status == JobStatus.FAILED:
            return Response(job_data(job))
        if not job.errors:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(job.errors)


class JobFileApi(ManagementApi):
    """Download an export job's file."""

    required_scopes = {"GET": ("read:users",)}

    @extend_schema(
        tags=[TAG],
        operation_id="get_job_file",
        summary="Download an export job's file",
        parameters=[JOB_ID_PARAMETER],
        responses={
            (200, "application/gzip"): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(404),
        },
    )
    def get(self, request: Request, id: str) -> FileResponse:
        """The gzip-compressed export, once the job has completed."""
        job = job_or_404(id)
        path = export_path(job) if job.result_file else None
        if (
            job.type != JobType.USERS_EXPORT
            or job.status != JobStatus.COMPLETED
            or path is None
            or not path.is_file()
        ):
            raise not_found("The job has no file.", ErrorCode.INEXISTENT_JOB)
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=job.result_file,
            content_type="application/gzip",
        )
