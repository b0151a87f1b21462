"""Fixtures of the Management API tests (a pytest plugin: tests/conftest.py loads it for every
app): a machine-to-machine application, its grant, tokens, and a JSON client holding one."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from accounts.models import Application, AppType, ClientGrant
from accounts.scopes import MANAGEMENT_API_SCOPES, management_audience
from accounts.services import client_secret_hash
from accounts.tokens import access_token_issue
from tests.factories import ApplicationFactory


@pytest.fixture(scope="session")
def jwt_key_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("jwt")


@pytest.fixture(autouse=True)
def _jwt_key(settings, jwt_key_dir):
    # One key for the session (RSA generation is slow), never the developer's var/ key.
    settings.REKEY_JWT_PRIVATE_KEY_PATH = jwt_key_dir / "signing.pem"
    settings.REKEY_JWT_PREVIOUS_KEY_PATHS = []


@dataclass
class M2M:
    application: Application
    secret: str
    grant: ClientGrant

    @property
    def client_id(self) -> str:
        return self.application.client_id


@pytest.fixture
def m2m(db, connection) -> M2M:
    application = ApplicationFactory(
        name="Backend", app_type=AppType.M2M, allowed_origins=[], connections=[connection]
    )
    # Set up without the service: tests count the log rows of the action they exercise.
    secret = secrets.token_urlsafe(48)
    application.client_secret_hash = client_secret_hash(secret)
    application.save(update_fields=["client_secret_hash"])
    grant = ClientGrant.objects.create(
        application=application, audience=management_audience(), scopes=MANAGEMENT_API_SCOPES
    )
    return M2M(application=application, secret=secret, grant=grant)


@pytest.fixture
def token_for(m2m: M2M) -> Callable[..., str]:
    def make(*scopes: str, expires_in: int = 3600, **kwargs: Any) -> str:
        return access_token_issue(
            client_id=kwargs.get("client_id", m2m.client_id),
            audience=kwargs.get("audience", management_audience()),
            scopes=list(scopes or MANAGEMENT_API_SCOPES),
            expires_in=expires_in,
        )

    return make


class ApiClient(Client):
    """A test client that sends JSON and a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def _auth(self, extra: dict[str, Any]) -> dict[str, Any]:
        if self.token is not None:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return extra

    def get(self, path: str, data: Any = None, **extra: Any):  # type: ignore[override]
        return super().get(path, data, **self._auth(extra))

    def delete(self, path: str, **extra: Any):  # type: ignore[override]
        return super().delete(path, **self._auth(extra))

    def post(self, path: str, data: Any = None, **extra: Any):  # type: ignore[override]
        return super().post(path, data, content_type="application/json", **self._auth(extra))

    def patch(self, path: str, data: Any = None, **extra: Any):  # type: ignore[override]
        return super().patch(path, data, content_type="application/json", **self._auth(extra))


@pytest.fixture
def api(token_for) -> ApiClient:
    """A client holding a token with every Management API scope."""
    return ApiClient(token_for())


@pytest.fixture
def api_with(token_for) -> Callable[..., ApiClient]:
    """A client holding a token with just these scopes."""
    return lambda *scopes: ApiClient(token_for(*scopes))


def error(status: int, message: str, code: str, **extra: Any) -> dict[str, Any]:
    """Auth0's error body."""
    from http import HTTPStatus

    return {
        "statusCode": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
        "errorCode": code,
        **extra,
    }
