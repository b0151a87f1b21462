"""``ui_locales`` (OpenID Connect's parameter, read by Auth0's hosted pages) picks the language."""

from __future__ import annotations

from collections.abc import Callable

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
