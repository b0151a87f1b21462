"""The APIs, composed one floor above the apps (HackSoft's ``api/urls.py``).

Each app owns its operations (``accounts.api``, ``tickets.api``, ``emails.api``,
``webhooks.api``); this module puts them under one namespace, adds the OpenAPI document and its
browsable docs, and ends with the catch-all that answers anything else under ``/api/v2/`` in
Auth0's JSON shape.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api.errors import ErrorCode, api_not_found, error_body

app_name = "api"

# Swagger UI (served by the sidecar from our own static files) sets inline styles.
DOCS_CSP: dict[str, Any] = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}


def read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` for GET and HEAD; any other method a 405 in Auth0's JSON shape (these views
    answer YAML or HTML otherwise, and Django's CSRF page for a write)."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in {"GET", "HEAD"}:
            return view(request, *args, **kwargs)
        message = f'Method "{request.method}" not allowed.'
        body = error_body(405, message, ErrorCode.METHOD_NOT_ALLOWED)
        return JsonResponse(body, status=405, headers={"Allow": "GET, HEAD"})

    return wrapped


urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("emails.api.urls")),
    path("", include("webhooks.api.urls")),
    path("api/v2/schema", read_only(SpectacularAPIView.as_view()), name="schema"),
    path(
        "api/v2/docs",
        csp_override(DOCS_CSP)(
            read_only(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
        ),
        name="docs",
    ),
    # Last: anything else under /api/v2/ is a 404 in Auth0's shape, not Django's HTML page.
    re_path(r"^api/v2/.*$", api_not_found, name="not-found"),
]
