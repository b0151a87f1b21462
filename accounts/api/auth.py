"""Bearer authentication, scopes, rate limits and the base class of every Management API view."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit
from accounts.api.errors import (
    ErrorCode,
    ManagementApiError,
    bad_request,
    management_exception_handler,
)
from accounts.audit import Audit, Door
from accounts.events import log_event_counted
from accounts.models import Application, ClientGrant, LogType
from accounts.scopes import grant_cache_key, management_audience
from accounts.selectors import application_by_client_id
from accounts.tokens import InvalidToken, access_token_verify


@dataclass(frozen=True)
class ApiClient:
    """The application a Management API token was issued to (never a user)."""

    application: Application
    scopes: frozenset[str] = field(default_factory=frozenset)

    is_authenticated: ClassVar[bool] = True

    @property
    def client_id(self) -> str:
        return self.application.client_id


def granted_scopes(*, application: Application, audience: str) -> frozenset[str] | None:
    """The scopes the application's grant holds now (None: no grant), cached for a few seconds."""
    key = grant_cache_key(application.client_id, audience)
    max_age = settings.REKEY_GRANT_CACHE_SECONDS
    cached = cache.get(key)
    # The age is checked here too, not only by the cache's expiry: one clock for every backend.
    if cached is None or time.time() - cached.get("at", 0) > max_age:
        grant = ClientGrant.objects.filter(application=application, audience=audience).first()
        cached = {"scopes": list(grant.scopes) if grant else None, "at": time.time()}
        cache.set(key, cached, timeout=max_age)
    return None if cached["scopes"] is None else frozenset(cached["scopes"])


class BearerTokenAuthentication(BaseAuthentication):
    """An RS256 access token from /oauth/token: our key, issuer, audience, not expired."""

    def authenticate(self, request: Request) -> tuple[ApiClient, dict[str, Any]] | None:
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        if parts[0].lower() != b"bearer" or len(parts) != 2:
            raise exceptions.AuthenticationFailed("Bad HTTP authentication header format")
        try:
            token = parts[1].decode("ascii")
            claims = access_token_verify(token, audience=management_audience())
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token") from exc
        except InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        application = application_by_client_id(str(claims.get("azp", "")))
        if application is None:
            # The application was deleted since the token was issued.
            raise exceptions.AuthenticationFailed("Invalid token")
        granted = granted_scopes(application=application, audience=management_audience())
        if granted is None:
            # The grant was removed since the token was issued: the token is dead with it.
            raise exceptions.AuthenticationFailed("Invalid token")
        # A narrowed grant narrows the tokens already issued too.
        scopes = frozenset(str(claims.get("scope", "")).split()) & granted
        return ApiClient(application=application, scopes=scopes), claims

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="Management API"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class HasRequiredScope(BasePermission):
    """The token holds any one of the view's ``required_scopes[method]`` (as Auth0 checks)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            return False
        by_method: dict[str, tuple[str, ...]] = getattr(view, "required_scopes", {})
        needed = by_method.get(request.method or "", ())
        if not needed or client.scopes & set(needed):
            return True
        self.message = "Insufficient scope, expected any of: " + ",".join(needed)
        return False


class RateLimited(ManagementApiError):
    def __init__(self, decision: ratelimit.Decision) -> None:
        super().__init__(
            429,
            "Global limit has been reached",
            ErrorCode.TOO_MANY_REQUESTS,
            headers=_ratelimit_headers(decision),
        )


def _ratelimit_headers(decision: ratelimit.Decision) -> dict[str, str]:
    # Auth0 spells them in lower case; HTTP header names are case-insensitive anyway.
    return {name.lower(): value for name, value in ratelimit.headers(decision).items()}


class ManagementApi(APIView):
    """Base of every /api/v2/ view: bearer token, scopes, per-client rate limit, Auth0 errors."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [HasRequiredScope]
    # Auth0's API (hapi) parses form bodies as well as JSON on every write.
    parser_classes = [JSONParser, FormParser]
    renderer_classes = [JSONRenderer]
    # {"GET": ("read:users",)}: a dict so that two operations on one path can share a route.
    required_scopes: ClassVar[dict[str, tuple[str, ...]]] = {}
    # {"GET": UserListQuerySerializer}: the query parameters each method accepts; a method
    # without one accepts none. Anything else is a 400 invalid_query_string, as in Auth0.
    query_serializers: ClassVar[dict[str, type[serializers.Serializer]]] = {}
    http_method_names = ["get", "post", "put", "patch", "delete"]

    _decision: ratelimit.Decision | None = None
    _query: dict[str, Any] | None = None

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response]:
        return management_exception_handler

    def check_throttles(self, request: Request) -> None:
        client = request.user
        assert isinstance(client, ApiClient)
        decision = ratelimit.hit("management_api", key=client.client_id)
        self._decision = decision
        if not decision.allowed:
            log_event_counted(
                scope=f"management_api:{client.client_id}",
                type=LogType.API_LIMIT,
                description="Rate limit exceeded on the Management API",
                application=client.application,
                request=request._request,
                details={"method": request.method, "path": request.path},
            )
            raise RateLimited(decision)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if hasattr(self, (request.method or "").lower()):
            self._query = self._query_validate(request)

    def _query_validate(self, request: Request) -> dict[str, Any]:
        serializer_class = self.query_serializers.get(request.method or "")
        known = set(serializer_class().fields) if serializer_class else set()
        if unknown := sorted(set(request.query_params) - known):
            raise bad_request(
                "Query validation error: 'Additional properties not allowed: "
                + ",".join(unknown)
                + "'.",
                ErrorCode.INVALID_QUERY_STRING,
            )
        if serializer_class is None:
            return {}
        serializer = serializer_class(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._decision is not None and self._decision.limit:
            for name, value in _ratelimit_headers(self._decision).items():
                response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    # Helpers for the operations.

    @property
    def client(self) -> ApiClient:
        client = self.request.user
        assert isinstance(client, ApiClient)
        return client

    @property
    def django_request(self) -> HttpRequest:
        return self.request._request

    @property
    def door_audit(self) -> Audit:
        """The ``Audit`` of this call, for the write services: the client's application."""
        return Audit.of(self.django_request, door=Door.API, application=self.client.application)

    def query(self) -> dict[str, Any]:
        """The validated query parameters of ``query_serializers[method]``."""
        if self._query is None:
            self._query = self._query_validate(self.request)
        return dict(self._query)

    def body(
        self, serializer_class: type[serializers.Serializer], **context: Any
    ) -> dict[str, Any]:
        """The validated JSON body (a 400 ``invalid_body`` otherwise)."""
        serializer = serializer_class(data=self.request.data, context=context)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def route(name: str, *operations: type[ManagementApi]) -> type[ManagementApi]:
    """One view for the operations that share a path (each keeps its own class and scopes)."""
    scopes: dict[str, tuple[str, ...]] = {}
    queries: dict[str, type[serializers.Serializer]] = {}
    for operation in operations:
        scopes.update(operation.required_scopes)
        queries.update(operation.query_serializers)
    attrs = {
        "required_scopes": scopes,
        "query_serializers": queries,
        "__module__": operations[0].__module__,
    }
    return type(name, operations, attrs)
