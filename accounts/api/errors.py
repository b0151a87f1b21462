"""Errors of the Management API in Auth0's shape, and of /oauth/token in OAuth's.

Every error under /api/v2/, DRF's own included (parse errors, 401, 403, 404, 405, 429), is
``{"statusCode", "error", "message", "errorCode"}``; a few carry one more field of our own
(``rules`` on a weak password).
"""

from __future__ import annotations

import logging
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class ErrorCode(StrEnum):
    """Stable ``errorCode`` values (Auth0's where Auth0 has one)."""

    INVALID_TOKEN = "invalid_token"
    MISSING_AUTHENTICATION = "missing_authentication"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    INVALID_BODY = "invalid_body"
    INVALID_QUERY_STRING = "invalid_query_string"
    INVALID_URI = "invalid_uri"
    INEXISTENT_USER = "inexistent_user"
    INEXISTENT_CONNECTION = "inexistent_connection"
    INEXISTENT_CLIENT = "inexistent_client"
    INEXISTENT_LOG = "inexistent_log"
    INEXISTENT_JOB = "inexistent_job"
    INEXISTENT_SESSION = "inexistent_session"
    INEXISTENT_ORGANIZATION = "inexistent_organization"
    INEXISTENT_EMAIL_TEMPLATE = "inexistent_email_template"
    EMAIL_TEMPLATE_EXISTS = "email_template_conflict"
    INEXISTENT_EMAIL_PROVIDER = "inexistent_email_provider"
    EMAIL_PROVIDER_EXISTS = "email_provider_conflict"
    USER_EXISTS = "auth0_idp_error"
    OPERATION_NOT_SUPPORTED = "operation_not_supported"
    PASSWORD_STRENGTH = "password_strength_error"
    PASSWORD_NOT_SUPPORTED = "password_not_supported"
    DIRECT_PASSWORD_SET_DISABLED = "direct_password_set_disabled"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_ACCEPTABLE = "not_acceptable"
    TOO_MANY_REQUESTS = "too_many_requests"
    TOO_LARGE = "payload_too_large"
    INTERNAL_ERROR = "internal_error"


class ManagementApiError(exceptions.APIException):
    """An error answered as ``{"statusCode", "error", "message", "errorCode", ...extra}``."""

    def __init__(
        self,
        status_code: int,
        message: str,
        error_code: ErrorCode,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=message)
        self.status_code = status_code
        self.message = message
        self.error_code = error_code
        self.extra = extra or {}
        self.headers = headers or {}


def not_found(message: str, error_code: ErrorCode) -> ManagementApiError:
    return ManagementApiError(status.HTTP_404_NOT_FOUND, message, error_code)


def bad_request(
    message: str, error_code: ErrorCode = ErrorCode.INVALID_BODY, **extra: Any
) -> ManagementApiError:
    return ManagementApiError(status.HTTP_400_BAD_REQUEST, message, error_code, extra=extra)


def error_body(status_code: int, message: str, error_code: str, **extra: Any) -> dict[str, Any]:
    return {
        "statusCode": status_code,
        "error": HTTPStatus(status_code).phrase,
        "message": message,
        "errorCode": str(error_code),
        **extra,
    }


def first_validation_message(detail: Any, prefix: str) -> str:
    """Auth0's one-line validation message for the first failing property."""
    field, message = _first_error(detail)
    if field is None:
        return f"{prefix} validation error: '{message}'."
    return f"{prefix} validation error: '{message}' on property {field}."


def _first_error(detail: Any, path: str | None = None) -> tuple[str | None, str]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = str(key)
            # DRF names object-level errors non_field_errors: they belong to the parent.
            nested = key if path is None else f"{path}.{key}"
            sub = path if key == "non_field_errors" else nested
            return _first_error(value, sub)
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)) and value:
                sub = f"{path}[{index}]" if path else f"[{index}]"
                return _first_error(value, sub)
            if value:
                return path, str(value)
    return path, str(detail)


def _translate(exc: Exception, request_method: str) -> ManagementApiError:
    if isinstance(exc, ManagementApiError):
        return exc
    if isinstance(exc, Http404 | exceptions.NotFound):
        return not_found("Not Found", ErrorCode.NOT_FOUND)
    if isinstance(exc, exceptions.NotAuthenticated):
        return ManagementApiError(401, "Missing authentication", ErrorCode.MISSING_AUTHENTICATION)
    if isinstance(exc, exceptions.AuthenticationFailed):
        return ManagementApiError(401, str(exc.detail), ErrorCode.INVALID_TOKEN)
    if isinstance(exc, exceptions.PermissionDenied):
        return ManagementApiError(403, str(exc.detail), ErrorCode.INSUFFICIENT_SCOPE)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return ManagementApiError(405, str(exc.detail), ErrorCode.METHOD_NOT_ALLOWED)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ManagementApiError(415, str(exc.detail), ErrorCode.UNSUPPORTED_MEDIA_TYPE)
    if isinstance(exc, exceptions.NotAcceptable):
        return ManagementApiError(406, str(exc.detail), ErrorCode.NOT_ACCEPTABLE)
    if isinstance(exc, exceptions.ParseError):
        return bad_request("Invalid request payload JSON format")
    if isinstance(exc, exceptions.ValidationError):
        if request_method in {"GET", "DELETE"}:
            return bad_request(
                first_validation_message(exc.detail, "Query"), ErrorCode.INVALID_QUERY_STRING
            )
        return bad_request(first_validation_message(exc.detail, "Payload"))
    if isinstance(exc, exceptions.APIException):
        return ManagementApiError(exc.status_code, str(exc.detail), ErrorCode.INTERNAL_ERROR)
    logger.exception("Management API failed", exc_info=exc)
    return ManagementApiError(500, "Internal error", ErrorCode.INTERNAL_ERROR)


def management_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Every exception raised in a Management API view, answered in Auth0's error shape."""
    request = context.get("request")
    error = _translate(exc, getattr(request, "method", "GET"))
    headers = dict(error.headers)
    if isinstance(exc, exceptions.APIException):
        if auth_header := getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = auth_header
        if wait := getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(wait))
    set_rollback()
    body = error_body(error.status_code, error.message, error.error_code, **error.extra)
    return Response(body, status=error.status_code, headers=headers)


class OAuthError(exceptions.APIException):
    """An OAuth 2.0 error of /oauth/token: ``{"error", "error_description"}``."""

    def __init__(self, status_code: int, error: str, description: str) -> None:
        super().__init__(detail=description)
        self.status_code = status_code
        self.error = error
        self.description = description


def oauth_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Errors of the token endpoint in OAuth's shape (RFC 6749 section 5.2)."""
    if isinstance(exc, OAuthError):
        error, description, code = exc.error, exc.description, exc.status_code
    elif isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        error, description, code = "invalid_request", "The request body is malformed.", 400
    elif isinstance(exc, exceptions.MethodNotAllowed):
        error, description, code = "invalid_request", str(exc.detail), 405
    else:
        logger.exception("Token endpoint failed", exc_info=exc)
        error, description, code = "server_error", "Internal error", 500
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return Response(
        {"error": error, "error_description": description}, status=code, headers=headers
    )


@csrf_exempt  # no cookie is read: without this, a write got Django's HTML CSRF page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/v2/, whatever the method, in Auth0's shape."""
    return JsonResponse(error_body(404, "Not Found", ErrorCode.NOT_FOUND), status=404)
