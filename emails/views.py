"""``/metrics``: Prometheus metrics, for a bearer token (REKEY_METRICS_TOKEN) or staff."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from emails.metrics import metrics_render


def _allowed(request: HttpRequest) -> bool:
    token = settings.REKEY_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and getattr(user, "is_staff", False))


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The queue and outbox metrics; 401 without the token or a staff session."""
    if not _allowed(request):
        return HttpResponse(
            "Unauthorized\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(metrics_render(), content_type=CONTENT_TYPE_LATEST)
