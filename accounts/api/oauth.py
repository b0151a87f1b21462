"""``POST /oauth/token`` (client credentials) and ``GET /.well-known/jwks.json``."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit
from accounts.api.errors import OAuthError, oauth_exception_handler
from accounts.events import client_ip, log_event, rate_limited
from accounts.models import Application, AppType, LogType
from accounts.oidc.server import OIDC_GRANT_TYPES
from accounts.oidc.views import token_response
from accounts.scopes import management_audience
from accounts.selectors import application_by_client_id
from accounts.services import application_secret_check, client_secret_hash
from accounts.tokens import access_token_issue, jwks

# Grants that exist in OAuth but that this server does not issue to anyone.
OTHER_KNOWN_GRANTS = {
    "authorization_code",
    "password",
    "refresh_token",
    "implicit",
    "http://auth0.com/oauth/grant-type/password-realm",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
}
CLIENT_CREDENTIALS = "client_credentials"
_DUMMY_HASH = client_secret_hash("not-a-secret")


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """client_secret_basic (RFC 6749 2.3.1): ``Authorization: Basic base64(id:secret)``."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


def _grant_type_allowed(application: Application) -> bool:
    if application.grant_types:
        return CLIENT_CREDENTIALS in application.grant_types
    # Auth0's defaults: machine-to-machine and regular web apps hold a secret; SPAs and
    # native apps are public clients and may not use client credentials.
    return application.app_type in {AppType.M2M, AppType.REGULAR_WEB}


def _str_param(data: Any, name: str) -> str:
    value = data.get(name) if hasattr(data, "get") else None
    return value if isinstance(value, str) else ""


@method_decorator(
    [
        sensitive_post_parameters(
            "client_secret", "password", "refresh_token", "code", "code_verifier"
        ),
        never_cache,
    ],
    name="dispatch",
)
class OAuthTokenApi(APIView):
    """Exchange an application's client credentials for a Management API access token."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    parser_classes = [JSONParser, FormParser]
    renderer_classes = [JSONRenderer]
    http_method_names = ["post", "options"]

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response]:
        return oauth_exception_handler

    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response | HttpResponse:
        """Client credentials grant: an RS256 JWT with the granted scopes."""
        http_request: HttpRequest = request._request
        decision = ratelimit.hit("oauth_token", ip=client_ip(http_request))
        if not decision.allowed:
            return rate_limited(
                Response(
                    {"error": "too_many_requests", "error_description": "Too Many Requests"},
                    status=429,
                ),
                decision=decision,
                action="oauth_token",
                request=http_request,
                description="Rate limit exceeded on /oauth/token",
            )
        data = request.data
        grant_type = _str_param(data, "grant_type")
        if grant_type in OIDC_GRANT_TYPES:
            # Users' grants: authlib's server (accounts.oidc), on the same key set.
            return token_response(http_request, data if hasattr(data, "items") else {})
        client_id = _str_param(data, "client_id")
        secret = _str_param(data, "client_secret")
        if basic := _basic_credentials(request):
            client_id, secret = basic
        audience = _str_param(data, "audience")

        def fail(status: int, error: str, description: str, app: Application | None) -> None:
            log_event(
                type=LogType.FAILED_TOKEN_EXCHANGE,
                description=description,
                application=app,
                request=http_request,
                details={"grant_type": grant_type[:100], "audience": audience[:255]},
            )
            raise OAuthError(status, error, description)

        if not grant_type:
            fail(400, "invalid_request", "Missing required parameter: grant_type", None)
        if grant_type != CLIENT_CREDENTIALS and grant_type not in OTHER_KNOWN_GRANTS:
            fail(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}", None)
        if not client_id:
            fail(401, "invalid_client", "Missing required parameter: client_id", None)

        application = application_by_client_id(client_id)
        # Auth0 answers wrong client credentials with access_denied (not RFC 6749's
        # invalid_client), and the SDKs surface that code: we answer as Auth0 does.
        if application is None:
            # Same work as a real check so timing does not tell which client ids exist.
            secrets.compare_digest(client_secret_hash(secret), _DUMMY_HASH)
            fail(401, "access_denied", "Unauthorized", None)
        assert application is not None
        if not application_secret_check(application=application, secret=secret):
            fail(401, "access_denied", "Unauthorized", application)
        if grant_type != CLIENT_CREDENTIALS or not _grant_type_allowed(application):
            fail(
                403,
                "unauthorized_client",
                f"Grant type '{grant_type}' not allowed for the client.",
                application,
            )
        if not audience:
            fail(
                403,
                "access_denied",
                "No audience parameter was provided, and no default audience has been configured",
                application,
            )
        if audience != management_audience():
            fail(403, "access_denied", f"Service not found: {audience}", application)
        grant = application.grants.filter(audience=audience).first()
        if grant is None:
            fail(
                403,
                "access_denied",
                f'Client is not authorized to access "{audience}". You need to create a '
                '"client-grant" associated to this API.',
                application,
            )
        assert grant is not None
        granted = [scope for scope in grant.scopes if isinstance(scope, str)]
        if asked := list(dict.fromkeys(_str_param(data, "scope").split())):
            if refused := [scope for scope in asked if scope not in granted]:
                fail(
                    403,
                    "access_denied",
                    "Client has not been granted scopes: " + ", ".join(refused)[:1000],
                    application,
                )
            granted = [scope for scope in granted if scope in set(asked)]
        expires_in = settings.REKEY_ACCESS_TOKEN_LIFETIME
        token = access_token_issue(
            client_id=application.client_id,
            audience=audience,
            scopes=granted,
            expires_in=expires_in,
        )
        log_event(
            type=LogType.SUCCESS_TOKEN_EXCHANGE,
            description="Client Credentials for Access Token",
            application=application,
            request=http_request,
            details={"audience": audience, "scope": " ".join(granted)},
        )
        return Response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "scope": " ".join(granted),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )


@require_GET
def jwks_view(request: HttpRequest) -> JsonResponse:
    """The public keys that verify our access tokens, previous keys included."""
    response = JsonResponse(jwks())
    # Short, so verifiers pick up a rotation within minutes.
    response["Cache-Control"] = "public, max-age=300"
    return response
