"""Server errors in the shape of the API that was called (Auth0's clients parse JSON there)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import server_error as html_server_error

from accounts.middleware import door_error


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the Authentication or Management API's JSON error shape, else the HTML page."""
    return door_error(
        request, 500, "internal_error", "Internal server error", auth_code="server_error"
    ) or html_server_error(request)
