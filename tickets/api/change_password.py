"""``POST /dbconnections/change_password``: Auth0's Authentication API forgot-password call."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts import ratelimit
from accounts.config_cache import auth_api_targets
from accounts.events import client_ip, rate_limited
from accounts.models import Application
from accounts.selectors import connection_by_name
from tickets.requests import reset_request_accept

SUCCESS_MESSAGE = "We've just sent you an email to reset your password."
FIELDS = ("email", "connection", "client_id", "organization")


class AuthApiError(StrEnum):
    """Error codes of the Authentication API (``{"error", "error_description"}``)."""

    INVALID_REQUEST = "invalid_request"
    BAD_CONNECTION = "bad.connection"
    UNKNOWN_CLIENT = "invalid_client"
    ACCESS_DENIED = "access_denied"
    TOO_MANY_REQUESTS = "too_many_requests"


class BadRequest(Exception):
    def __init__(self, code: AuthApiError, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def error_response(code: AuthApiError, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": str(code), "error_description": description}, status=status)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise BadRequest(AuthApiError.INVALID_REQUEST, "Duplicate parameters are not allowed.")
    return dict(pairs)


def request_body(request: HttpRequest) -> dict[str, Any]:
    """The body's parameters, JSON or form; duplicates, mixtures and other types refused."""
    if any(name in request.GET for name in FIELDS):
        raise BadRequest(
            AuthApiError.INVALID_REQUEST, "Parameters belong in the body, not the query string."
        )
    content_type = request.content_type or ""
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(AuthApiError.INVALID_REQUEST, "The body is not UTF-8.") from exc
    if content_type == "application/json":
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicates)
        except ValueError as exc:
            raise BadRequest(AuthApiError.INVALID_REQUEST, "The body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise BadRequest(AuthApiError.INVALID_REQUEST, "The body must be a JSON object.")
        return data
    if content_type == "application/x-www-form-urlencoded":
        if text.lstrip().startswith(("{", "[")):
            raise BadRequest(
                AuthApiError.INVALID_REQUEST, "A JSON body must be sent as application/json."
            )
        return _no_duplicates(parse_qsl(text, keep_blank_values=True))
    raise BadRequest(
        AuthApiError.INVALID_REQUEST,
        "Send application/json or application/x-www-form-urlencoded.",
    )


def _origin_allowed(origin: str, application: Application | None) -> bool:
    """No Origin (a server, an SDK), PUBLIC_URL's own, or one the application allows."""
    if not origin:
        return True
    public = urlsplit(settings.PUBLIC_URL)
    if origin == f"{public.scheme}://{public.netloc}":
        return True
    return application is not None and origin in (application.allowed_origins or [])


def _string(data: dict[str, Any], name: str, *, required: bool) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(AuthApiError.INVALID_REQUEST, f"Missing required parameter: {name}")
        return ""
    if not isinstance(value, str):
        raise BadRequest(AuthApiError.INVALID_REQUEST, f"{name} must be a single string.")
    if len(value) > 254:
        raise BadRequest(AuthApiError.INVALID_REQUEST, f"{name} is too long.")
    return value


@method_decorator([csrf_exempt, never_cache], "dispatch")
class ChangePasswordApi(View):
    """Send a password reset email (Auth0's ``POST /dbconnections/change_password``).

    The answer is the same bytes whether the email is a user's, nobody's, a blocked user's or a
    social user's; CSRF does not apply (no cookie is read or set).
    """

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest) -> HttpResponse:
        decision = ratelimit.hit("change_password", ip=client_ip(request))
        if not decision.allowed:
            return rate_limited(
                error_response(
                    AuthApiError.TOO_MANY_REQUESTS,
                    f"Too many requests. Try again in {decision.retry_after} seconds.",
                    status=429,
                ),
                decision=decision,
                action="change_password",
                request=request,
                description="Too many change password requests from this address",
            )
        try:
            data = request_body(request)
            email = _string(data, "email", required=True)
            connection_name = _string(data, "connection", required=True)
            client_id = _string(data, "client_id", required=False)
            _string(data, "organization", required=False)
            if "@" not in email:
                raise BadRequest(AuthApiError.INVALID_REQUEST, "email is not an email address.")
            application, connection, known_client = auth_api_targets(
                client_id=client_id, connection_name=connection_name
            )
            if not known_client:
                raise BadRequest(AuthApiError.UNKNOWN_CLIENT, "Unknown client.")
            if connection is None:
                known = connection_by_name(connection_name)
                if application is None or known is None or not known.is_database:
                    raise BadRequest(AuthApiError.BAD_CONNECTION, "Connection not found.")
                raise BadRequest(
                    AuthApiError.BAD_CONNECTION, "Connection is not enabled for this client."
                )
        except BadRequest as error:
            return _with_limit(error_response(error.code, error.description), decision)
        # Read by the CORS check (tickets.receivers) to allow this application's origins only.
        request.rekey_application = application  # type: ignore[attr-defined]
        # A browser names the page that posted: a cross-site form (which CORS does not stop,
        # it only hides the answer) must not make Rekey send mail.
        if not _origin_allowed(request.headers.get("Origin", ""), application):
            return error_response(
                AuthApiError.ACCESS_DENIED, "Origin not allowed for this client.", status=403
            )
        reset_request_accept(
            email=email, connection=connection, application=application, request=request
        )
        done = HttpResponse(SUCCESS_MESSAGE, content_type="text/plain; charset=utf-8")
        return _with_limit(done, decision)


def _with_limit(response: HttpResponse, decision: ratelimit.Decision) -> HttpResponse:
    """Auth0's ``x-ratelimit-*`` on every answer; they count per IP, so they tell nothing
    about the email asked for."""
    if decision.limit:
        for name, value in ratelimit.headers(decision).items():
            response[name.lower()] = value
    return response
