"""Jobs: POST /api/v2/jobs/users-imports and users-exports, GET /api/v2/jobs/{id}, its errors
and an export's file. The jobs run in the real worker (django-tasks-db's loop)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import timedelta

import bcrypt
import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.utils import timezone

from accounts.jobs.models import Job
from accounts.models import LogEvent, User
from accounts.sweeps import sweep_once
from tests.factories import ConnectionFactory, SocialConnectionFactory, StaffFactory, UserFactory
from tests.management_api import ApiClient, error

pytestmark = pytest.mark.django_db
CREATED_AT = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def bcrypt_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()


def import_entry(email: str, password: str = "Bee-pass-1", **extra) -> dict:
    return {
        "email": email,
        "email_verified": True,
        "custom_password_hash": {"algorithm": "bcrypt", "hash": {"value": bcrypt_hash(password)}},
        **extra,
    }


def post_import(api: ApiClient, connection_id: str, entries, **fields):
    """The SDKs' multipart request: the file in ``users``, the rest as form fields."""
    content = entries if isinstance(entries, bytes) else json.dumps(entries).encode()
    upload = io.BytesIO(content)
    upload.name = "users.json"
    data = {"users": upload, "connection_id": connection_id, **fields}
    return Client.post(api, "/api/v2/jobs/users-imports", data, **api._auth({}))


# --- POST /api/v2/jobs/users-imports ---------------------------------------------------------


def test_import_answers_202_with_the_pending_job(api, connection):
    response = post_import(api, connection.id, [import_entry("a@example.com")], external_id="x-1")

    assert response.status_code == 202
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    job = Job.objects.get()
    body = response.json()
    assert body == {
        "status": "pending",
        "type": "users_import",
        "created_at": body["created_at"],
        "id": job.id,
        "connection_id": connection.id,
        "external_id": "x-1",
    }
    assert body["id"].startswith("job_") and len(body["id"]) == 20
    assert __import__("re").match(CREATED_AT, body["created_at"])
    assert not User.objects.filter(email="a@example.com").exists()  # the worker imports


def test_the_worker_imports_with_ids_and_passwords_kept(api, connection, worker):
    entries = [import_entry("a@example.com", "Ant-pass-1", user_id="60f1c0ffee")]
    job_id = post_import(api, connection.id, entries).json()["id"]

    worker()

    user = User.objects.get(email="a@example.com")
    assert user.user_id == "auth0|60f1c0ffee"
    assert check_password("Ant-pass-1", user.password)
    response = api.get(f"/api/v2/jobs/{job_id}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "completed",
        "type": "users_import",
        "created_at": body["created_at"],
        "id": job_id,
        "connection_id": connection.id,
        "connection": connection.name,
        "summary": {"failed": 0, "updated": 0, "inserted": 1, "total": 1},
    }


def test_the_uploaded_file_is_gone_from_the_database_when_the_job_ends(api, connection, worker):
    job_id = post_import(api, connection.id, [import_entry("a@example.com")]).json()["id"]
    assert Job.objects.get(pk=job_id).upload is not None

    worker()

    assert Job.objects.get(pk=job_id).upload is None


def test_refused_entries_are_reported_and_the_others_imported(api, connection, worker):
    UserFactory(connection=connection, email="taken@example.com")
    bad_hash = {"algorithm": "bcrypt", "hash": {"value": "$2b$31$" + "a" * 53}}
    entries = [
        import_entry("new@example.com"),
        import_entry("taken@example.com"),
        {"email": "weak@example.com", "custom_password_hash": bad_hash},
    ]
    job_id = post_import(api, connection.id, entries).json()["id"]

    worker()

    assert api.get(f"/api/v2/jobs/{job_id}").json()["summary"] == {
        "failed": 2,
        "updated": 0,
        "inserted": 1,
        "total": 3,
    }
    response = api.get(f"/api/v2/jobs/{job_id}/errors")
    assert response.status_code == 200
    taken = {key: value for key, value in entries[1].items() if key != "custom_password_hash"}
    assert response.json() == [
        {
            "user": taken,
            "errors": [
                {
                    "code": "DUPLICATED_USER",
                    "message": "The user already exist and upsert parameter is false",
                    "path": "",
                }
            ],
        },
        {
            "user": {"email": "weak@example.com"},  # the hash is not kept, even refused
            "errors": [
                {
                    "code": "INVALID_FORMAT",
                    "message": "bcrypt cost 31 is above the import limit of 12",
                    "path": "",
                }
            ],
        },
    ]
    assert User.objects.filter(email="new@example.com").exists()
    assert "$2b$" not in json.dumps(Job.objects.get(pk=job_id).errors)


def test_upsert_updates_the_existing_user(api, connection, worker):
    user = UserFactory(connection=connection, email="a@example.com")
    entries = [import_entry("a@example.com", "Fresh-pass-9", given_name="Ann")]
    job_id = post_import(api, connection.id, entries, upsert="true").json()["id"]

    worker()

    assert api.get(f"/api/v2/jobs/{job_id}").json()["summary"] == {
        "failed": 0,
        "updated": 1,
        "inserted": 0,
        "total": 1,
    }
    user.refresh_from_db()
    assert user.given_name == "Ann"
    assert check_password("Fresh-pass-9", user.password)


def test_a_job_without_errors_answers_204_on_its_errors(api, connection, worker):
    job_id = post_import(api, connection.id, [import_entry("a@example.com")]).json()["id"]
    worker()

    response = api.get(f"/api/v2/jobs/{job_id}/errors")

    assert response.status_code == 204
    assert response.content == b""


def test_a_file_that_is_not_json_fails_the_job_and_is_deleted(api, connection, worker):
    job_id = post_import(api, connection.id, b"email,password\n").json()["id"]

    worker()

    job = api.get(f"/api/v2/jobs/{job_id}").json()
    assert job["status"] == "failed"
    assert job["status_details"] == "The file is not valid JSON."
    assert "summary" not in job
    assert api.get(f"/api/v2/jobs/{job_id}/errors").json() == job
    assert Job.objects.get(pk=job_id).upload is None


def test_the_import_is_logged_with_its_job(api, connection, worker, m2m):
    job_id = post_import(api, connection.id, [import_entry("a@example.com")]).json()["id"]

    worker()

    event = LogEvent.objects.get(description="Bulk user import")
    assert event.type == "sapi"
    assert event.client_id == m2m.client_id
    assert event.connection_id == connection.id
    assert event.details == {"created": 1, "updated": 0, "door": "job", "job_id": job_id}


def test_an_unknown_connection_answers_400(api, db):
    response = post_import(api, "con_0000000000000000", [])

    assert response.status_code == 400
    assert response.json() == error(
        400, "The connection does not exist: con_0000000000000000", "inexistent_connection"
    )
    assert not Job.objects.exists()


def test_a_social_connection_takes_no_import(api, db):
    social = SocialConnectionFactory()

    response = post_import(api, social.id, [])

    assert response.status_code == 400
    assert response.json()["errorCode"] == "inexistent_connection"


def test_an_import_without_the_file_answers_400(api, connection):
    response = Client.post(
        api, "/api/v2/jobs/users-imports", {"connection_id": connection.id}, **api._auth({})
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_body"
    assert "users" in response.json()["message"]


def test_a_file_over_the_limit_answers_413(api, connection, settings):
    settings.REKEY_IMPORT_MAX_BYTES = 10

    response = post_import(api, connection.id, [import_entry("a@example.com")])

    assert response.status_code == 413
    assert response.json() == error(
        413, "The users file is larger than 10 bytes.", "payload_too_large"
    )
    assert not Job.objects.exists()


def test_an_import_needs_create_users(api_with, connection):
    response = post_import(api_with("read:users"), connection.id, [])

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: create:users", "insufficient_scope"
    )


# --- GET /api/v2/jobs/{id} -------------------------------------------------------------------


def test_an_unknown_job_answers_404(api, db):
    for path in ("/api/v2/jobs/job_0000000000000000", "/api/v2/jobs/job_0000000000000000/errors"):
        response = api.get(path)

        assert response.status_code == 404
        assert response.json() == error(404, "The job does not exist.", "inexistent_job")


def test_a_job_needs_read_or_create_users(api_with, connection):
    job_id = post_import(api_with("create:users"), connection.id, []).json()["id"]

    assert api_with("read:users").get(f"/api/v2/jobs/{job_id}").status_code == 200
    response = api_with("read:logs").get(f"/api/v2/jobs/{job_id}")
    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: create:users,read:users", "insufficient_scope"
    )


# --- POST /api/v2/jobs/users-exports ---------------------------------------------------------


@pytest.fixture
def exported_users(connection):
    first = UserFactory(connection=connection, email="a@example.com", name="Ann")
    second = UserFactory(connection=connection, email="b@example.com", name="Bob")
    return [first, second]


def export_file(api: ApiClient, job_id: str) -> bytes:
    response = api.get(f"/api/v2/jobs/{job_id}/file")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/gzip"
    return gzip.decompress(b"".join(response.streaming_content))


def test_export_answers_201_with_the_pending_job(api, connection):
    response = api.post(
        "/api/v2/jobs/users-exports",
        {
            "connection_id": connection.id,
            "format": "csv",
            "limit": 5,
            "fields": [{"name": "email"}],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "status": "pending",
        "type": "users_export",
        "created_at": body["created_at"],
        "id": Job.objects.get().id,
        "connection_id": connection.id,
        "format": "csv",
        "limit": 5,
        "fields": [{"name": "email"}],
    }


def test_a_json_export_is_one_user_a_line_without_hashes(
    api, connection, exported_users, worker, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    job_id = api.post("/api/v2/jobs/users-exports", {"connection_id": connection.id}).json()["id"]
    assert api.get(f"/api/v2/jobs/{job_id}/file").status_code == 404  # not done yet

    worker()

    job = api.get(f"/api/v2/jobs/{job_id}").json()
    assert job["status"] == "completed"
    assert job["location"] == f"{settings.PUBLIC_URL}/api/v2/jobs/{job_id}/file"
    lines = export_file(api, job_id).decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["email"] for row in rows] == ["a@example.com", "b@example.com"]
    assert rows[0]["user_id"] == exported_users[0].user_id
    assert rows[0]["name"] == "Ann"
    assert all("password" not in line and "$argon2" not in line for line in lines)
    assert (tmp_path / "exports" / f"{job_id}.json.gz").is_file()


def test_an_export_without_connection_id_takes_every_connection(
    api, connection, exported_users, worker, settings, tmp_path
):
    # Auth0: connection_id is optional; without it the job exports the tenant's users.
    settings.VAR_DIR = tmp_path
    other = UserFactory(connection=ConnectionFactory(name="Other-DB"), email="c@example.com")
    StaffFactory(email="staff@example.com")  # the staff realm is never exported

    response = api.post("/api/v2/jobs/users-exports", {"format": "json"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "status": "pending",
        "type": "users_export",
        "created_at": body["created_at"],
        "id": body["id"],
        "format": "json",
    }
    worker()
    job = api.get(f"/api/v2/jobs/{body['id']}").json()
    assert job["status"] == "completed" and "connection_id" not in job
    rows = [json.loads(line) for line in export_file(api, body["id"]).decode().splitlines()]
    assert sorted(row["email"] for row in rows) == ["a@example.com", "b@example.com", other.email]


def test_an_export_file_is_purged_after_the_retention(
    api, connection, exported_users, worker, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    job_id = api.post("/api/v2/jobs/users-exports", {"connection_id": connection.id}).json()["id"]
    worker()
    path = tmp_path / "exports" / f"{job_id}.json.gz"
    assert path.is_file()

    assert sweep_once(purge=True)["purged_exports"] == 0  # still within its retention
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert sweep_once(purge=True)["purged_exports"] == 1

    assert not path.exists()
    assert api.get(f"/api/v2/jobs/{job_id}/file").status_code == 404
    assert api.get(f"/api/v2/jobs/{job_id}").json()["status"] == "completed"


def test_a_csv_export_has_the_fields_asked_renamed(api, connection, exported_users, worker):
    body = {
        "connection_id": connection.id,
        "format": "csv",
        "limit": 1,
        "fields": [{"name": "email", "export_as": "Email"}, {"name": "user_id"}],
    }
    job_id = api.post("/api/v2/jobs/users-exports", body).json()["id"]

    worker()

    rows = list(csv.reader(io.StringIO(export_file(api, job_id).decode())))
    assert rows == [["Email", "user_id"], ["a@example.com", exported_users[0].user_id]]


def test_a_password_hash_cannot_be_asked_for(api, connection, exported_users, worker):
    body = {"connection_id": connection.id, "fields": [{"name": "email"}, {"name": "password"}]}
    job_id = api.post("/api/v2/jobs/users-exports", body).json()["id"]

    worker()

    assert json.loads(export_file(api, job_id).decode().splitlines()[0]) == {
        "email": "a@example.com"
    }


def test_the_export_file_needs_read_users(api, api_with, connection, exported_users, worker):
    job_id = api.post("/api/v2/jobs/users-exports", {"connection_id": connection.id}).json()["id"]
    worker()

    response = api_with("create:users").get(f"/api/v2/jobs/{job_id}/file")

    assert response.status_code == 403
    assert response.json() == error(
        403, "Insufficient scope, expected any of: read:users", "insufficient_scope"
    )
    assert Client().get(f"/api/v2/jobs/{job_id}/file").status_code == 401


def test_an_export_needs_read_users(api_with, connection):
    response = api_with("create:users").post(
        "/api/v2/jobs/users-exports", {"connection_id": connection.id}
    )

    assert response.status_code == 403
    assert response.json()["errorCode"] == "insufficient_scope"


def test_the_export_is_logged(api, connection, exported_users, worker, m2m):
    job_id = api.post("/api/v2/jobs/users-exports", {"connection_id": connection.id}).json()["id"]

    worker()

    event = LogEvent.objects.get(description="Bulk user export")
    assert event.type == "sapi"
    assert event.client_id == m2m.client_id
    assert event.details == {"exported": 2, "door": "job", "job_id": job_id}
