"""The served OpenAPI document against the running app: schemathesis on every operation."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import UserFactory

EXPECTED_OPERATIONS = {
    "GET /api/v2/users",
    "POST /api/v2/users",
    "GET /api/v2/users/{id}",
    "PATCH /api/v2/users/{id}",
    "DELETE /api/v2/users/{id}",
    "DELETE /api/v2/users/{id}/sessions",
    "GET /api/v2/users/{id}/refresh-tokens",
    "DELETE /api/v2/users/{id}/refresh-tokens",
    "GET /api/v2/refresh-tokens/{id}",
    "DELETE /api/v2/users/{id}/authenticators",
    "DELETE /api/v2/refresh-tokens/{id}",
    "GET /api/v2/users/{id}/sessions",
    "GET /api/v2/users/{id}/logs",
    "GET /api/v2/sessions/{id}",
    "DELETE /api/v2/sessions/{id}",
    "GET /api/v2/clients",
    "GET /api/v2/clients/{id}",
    "GET /api/v2/client-grants",
    "GET /api/v2/tenants/settings",
    "PATCH /api/v2/tenants/settings",
    "GET /api/v2/users-by-email",
    "GET /api/v2/user-blocks",
    "DELETE /api/v2/user-blocks",
    "GET /api/v2/user-blocks/{id}",
    "DELETE /api/v2/user-blocks/{id}",
    "POST /api/v2/tickets/password-change",
    "GET /api/v2/connections",
    "GET /api/v2/connections/{id}",
    "PATCH /api/v2/connections/{id}",
    "GET /api/v2/connections/{id}/clients",
    "PATCH /api/v2/connections/{id}/clients",
    "GET /api/v2/logs",
    "GET /api/v2/logs/{id}",
    "GET /api/v2/log-streams",
    "POST /api/v2/log-streams",
    "GET /api/v2/log-streams/{id}",
    "PATCH /api/v2/log-streams/{id}",
    "DELETE /api/v2/log-streams/{id}",
    "GET /api/v2/email-templates/{templateName}",
    "PATCH /api/v2/email-templates/{templateName}",
    "PUT /api/v2/email-templates/{templateName}",
    "POST /api/v2/email-templates",
    "POST /api/v2/jobs/users-imports",
    "POST /api/v2/jobs/users-exports",
    "GET /api/v2/jobs/{id}",
    "GET /api/v2/jobs/{id}/errors",
    "GET /api/v2/jobs/{id}/file",
    "POST /api/v2/tickets/email-verification",
    "POST /api/v2/jobs/verification-email",
    "GET /api/v2/emails/provider",
    "POST /api/v2/emails/provider",
    "PATCH /api/v2/emails/provider",
}


# Loaded from the app as served (pytest-django has set Django up before collection). Not
# schemathesis.pytest.from_fixture: its lazy loader breaks on pytest 9 (Node._nodeid is gone).
schema = schemathesis.openapi.from_wsgi("/api/v2/schema", application)


@pytest.fixture
def api_schema(db):
    # Requests go straight to the WSGI app: keep Django from closing the test's connection at
    # each request, as its own test client does.
    signals.request_started.disconnect(close_old_connections)
    yield schema
    signals.request_started.connect(close_old_connections)


@pytest.fixture
def management_api(api_schema, settings, connection):
    # Rate limits raised so that the run exercises the API, not the limiter.
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "management_api": "100000/s/key"}
    UserFactory(connection=connection, email="someone@example.com")


@schema.parametrize()
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_within_its_schema(case, management_api, token_for):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token_for()}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            response_schema_conformance,
            content_type_conformance,
        ],
    )


def _operations(api_schema):
    return [result.ok() for result in api_schema.get_all_operations()]


def _case(operation):
    path_parameters = {p.name: "reset_email" for p in operation.path_parameters}
    body = {} if operation.method.upper() in {"POST", "PATCH"} else None
    kwargs = {"path_parameters": path_parameters}
    if body is not None:
        kwargs["body"] = body
        kwargs["media_type"] = "application/json"
    return operation.Case(**kwargs)


def test_the_schema_lists_every_management_api_operation(api_schema):
    assert {op.label for op in _operations(api_schema)} == EXPECTED_OPERATIONS


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer nonsense", "Basic dXNlcjpwYXNz"],
    ids=["no-token", "bad-token", "not-bearer"],
)
def test_every_operation_refuses_a_missing_or_bad_token_with_401(api_schema, authorization):
    for operation in _operations(api_schema):
        headers = {"Authorization": authorization} if authorization else {}
        response = _case(operation).call(headers=headers)
        assert response.status_code == 401, operation.label
        body = response.json()
        assert body["statusCode"] == 401
        assert body["error"] == "Unauthorized"
        assert body["errorCode"] in {"missing_authentication", "invalid_token"}
        assert response.headers["www-authenticate"] == ['Bearer realm="Management API"']


def test_every_operation_refuses_a_token_without_its_scope_with_403(api_schema, token_for):
    # A valid token whose only scope belongs to no Management API operation.
    token = token_for("read:stats")
    for operation in _operations(api_schema):
        response = _case(operation).call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403, operation.label
        assert response.json()["errorCode"] == "insufficient_scope"
