"""Issue 13: a database that never answers costs seconds, not the server; errors stay JSON."""

from __future__ import annotations

import json
import time

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import RequestFactory

from config.errors import server_error
from tests.ops.livestack import base_env, blackhole, gunicorn

pytestmark = pytest.mark.live


@pytest.fixture
def hung_database_server(tmp_path):
    """gunicorn on a PostgreSQL that accepts connections but never answers."""
    with blackhole() as port:
        env = base_env(
            tmp_path,
            DATABASE_URL=f"postgres://rekey@127.0.0.1:{port}/rekey",
            REDIS_URL="",
            REKEY_DB_CONNECT_TIMEOUT="2",
        )
        with gunicorn(env) as url:
            requests.get(f"{url}/u/login", timeout=30)  # warm up: URLconf and views imported
            yield url


def timed(method, url, **kwargs):
    start = time.monotonic()
    response = requests.request(method, url, timeout=30, **kwargs)
    return response, time.monotonic() - start


def test_healthz_answers_within_two_seconds_when_the_database_hangs(hung_database_server):
    for _ in range(3):  # hung checks must not pile up into a hung server
        response, elapsed = timed("GET", f"{hung_database_server}/healthz")
        assert elapsed < 2.0
        assert response.status_code == 503
        assert response.json() == {"status": "fail", "database": "timeout"}


def test_requests_fail_after_the_connect_timeout_instead_of_hanging(hung_database_server):
    # More requests than threads: none may wait behind a hung one for long.
    for _ in range(6):
        response, elapsed = timed(
            "POST",
            f"{hung_database_server}/dbconnections/change_password",
            json={"email": "ann@example.com", "connection": "Username-Password-Authentication"},
        )
        assert response.status_code == 500
        assert elapsed < 6.0  # connect_timeout 2 s, on a busy CI machine
    response, elapsed = timed("GET", f"{hung_database_server}/u/login")
    assert (response.status_code, elapsed < 2.0) == (200, True)


def test_a_500_on_the_authentication_api_is_json(hung_database_server):
    response, _ = timed(
        "POST",
        f"{hung_database_server}/dbconnections/change_password",
        data=json.dumps(
            {"email": "ann@example.com", "connection": "Username-Password-Authentication"}
        ),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "server_error",
        "error_description": "Internal server error",
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/oauth/token", {"error": "server_error", "error_description": "Internal server error"}),
        (
            "/api/v2/users",
            {
                "statusCode": 500,
                "error": "Internal Server Error",
                "message": "Internal server error",
                "errorCode": "internal_error",
            },
        ),
    ],
)
def test_a_500_answers_in_the_shape_of_the_api_called(path, body):
    response = server_error(RequestFactory().post(path))

    assert response.status_code == 500
    assert json.loads(response.content) == body


def test_a_500_on_a_page_stays_html(db):
    response = server_error(RequestFactory().get("/u/login"))

    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.postgres
def test_postgresql_connections_have_health_checks_and_timeouts(postgres, db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        statement_timeout = cursor.fetchone()[0]
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] == 3
    assert statement_timeout == "10s"
