"""``ui_locales`` (OpenID Connect's parameter, read by Auth0's hosted pages) picks the language."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def ui_locales_language(value: str) -> str | None:
    """The first supported language of a space-separated ``ui_locales`` list, or None."""
    for tag in value.split()[:10]:
        try:
            return translation.get_supported_language_variant(tag.strip())
        except LookupError:
            continue
    return None


class UiLocalesMiddleware:
    """Runs after LocaleMiddleware: a ``ui_locales`` query parameter wins over Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request.GET.get("ui_locales")
        if value and (language := ui_locales_language(value)):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class SameOriginNullOriginMiddleware:
    """Lets CSRF checking work under ``Referrer-Policy: no-referrer`` (before CsrfViewMiddleware).

    Under that policy browsers send ``Origin: null`` with every form POST, even to the page's own
    origin, and Django's CSRF check refuses it. When the browser also says, in the Fetch Metadata
    header that pages cannot forge, that the request is same-origin, the Origin is restored to the
    request's own, so Django's origin check (and then the token check) runs as usual. A null
    Origin from anywhere else (a sandboxed frame, a data: URL) is left as it is and refused.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.META.get("HTTP_ORIGIN") == "null"
            and request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        ):
            request.META["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"
        return self.get_response(request)


# The doors that speak JSON, and the error shape each answers in.
MANAGEMENT_API_PREFIX = "/api/v2/"
AUTH_API_PREFIXES = ("/dbconnections/", "/oauth/")


def door_error(
    request: HttpRequest, status: int, code: str, message: str, auth_code: str = ""
) -> HttpResponse | None:
    """An error in the shape of the JSON door the request came through (None elsewhere).

    ``auth_code`` is the Authentication API's own word where it differs from the Management
    API's ``errorCode``.
    """
    from django.http import JsonResponse

    from accounts.api.errors import error_body

    if request.path.startswith(MANAGEMENT_API_PREFIX):
        return JsonResponse(error_body(status, message, code), status=status)
    if request.path.startswith(AUTH_API_PREFIXES):
        return JsonResponse(
            {"error": auth_code or code, "error_description": message}, status=status
        )
    return None


# Far below Python's recursion limit (1000), which the JSON parser's nesting runs into.
SAFE_OPENERS = 200


class JsonBodyGuardMiddleware:
    """Oversized and deeply nested bodies get a clear 413 or 400 from the JSON doors, not a 500.

    The size is refused from ``Content-Length`` before anything is read (and from Django's own
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` check when a chunked body has none). A JSON body with enough
    ``[``/``{`` to nest that deep is parsed once here only to see whether it nests deeper than
    the parser's recursion limit; every other verdict on it stays the view's.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"POST", "PUT", "PATCH", "DELETE"} and (
            refusal := self._refusal(request)
        ):
            return refusal
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        if not request.path.startswith((MANAGEMENT_API_PREFIX, *AUTH_API_PREFIXES)):
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return self._too_large(request, limit)
        if request.content_type != "application/json":
            return None
        try:
            body = request.body
            # Nesting deeper than the parser's recursion limit needs that many openers: a body
            # with fewer cannot be refused, so the common request is not parsed twice.
            if body.count(b"[") + body.count(b"{") < SAFE_OPENERS:
                return None
            json.loads(body)
        except RequestDataTooBig:
            return self._too_large(request, limit)
        except RecursionError:
            return door_error(
                request,
                400,
                "invalid_body",
                "The JSON body is nested too deeply.",
                "invalid_request",
            )
        except ValueError:
            pass  # the view says what is wrong with it, in its own words
        return None

    @staticmethod
    def _too_large(request: HttpRequest, limit: int | None) -> HttpResponse | None:
        return door_error(request, 413, "payload_too_large", f"The body is over {limit} bytes.")
