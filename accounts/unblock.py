"""The unblock link of Auth0's ``blocked_account`` email (``/u/unblock``).

Mail scanners open links, so a GET never releases anything: it checks the token, keeps it in a
short-lived signed cookie scoped to this page and redirects to the page without it (so the token
does not stay in history or reach a Referer); the page asks to confirm, and the POST releases
the block once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_variables

from accounts import ratelimit
from accounts.bruteforce import login_block_by_token, login_block_release_by_token
from accounts.events import client_ip, rate_limited

UNBLOCK_COOKIE = "rekey_unblock"
UNBLOCK_COOKIE_PATH = "/u/unblock"
UNBLOCK_COOKIE_AGE = 3600
TEMPLATE = "accounts/unblock.html"


def _cookie_token(request: HttpRequest) -> str:
    try:
        value = request.get_signed_cookie(
            UNBLOCK_COOKIE, default="", salt="rekey.unblock", max_age=UNBLOCK_COOKIE_AGE
        )
    except BadSignature:
        return ""
    return value or ""


def _forget(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(UNBLOCK_COOKIE, path=UNBLOCK_COOKIE_PATH, samesite="Lax")
    return response


def _too_many(request: HttpRequest, decision: ratelimit.Decision) -> HttpResponse:
    return rate_limited(
        render(request, TEMPLATE, {"state": "too_many"}, status=429),
        decision=decision,
        action="unblock",
        request=request,
        description="Too many unblock requests from this address",
    )


@method_decorator([sensitive_variables(), never_cache, csrf_protect], "dispatch")
class UnblockView(View):
    """GET: confirm (never release); POST: release the block the link names, once."""

    def get(self, request: HttpRequest) -> HttpResponse:
        decision = ratelimit.hit("unblock", ip=client_ip(request))
        if not decision.allowed:
            return _too_many(request, decision)
        token = request.GET.get("token", "")
        if token:
            if login_block_by_token(token=token) is None:
                return _forget(render(request, TEMPLATE, {"state": "invalid"}, status=400))
            response = redirect(reverse("accounts:unblock"))
            response.set_signed_cookie(
                UNBLOCK_COOKIE,
                token,
                salt="rekey.unblock",
                max_age=UNBLOCK_COOKIE_AGE,
                path=UNBLOCK_COOKIE_PATH,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
        block = login_block_by_token(token=_cookie_token(request))
        if block is None:
            return _forget(render(request, TEMPLATE, {"state": "invalid"}, status=400))
        return render(request, TEMPLATE, {"state": "confirm", "email": block.user.email})

    def post(self, request: HttpRequest) -> HttpResponse:
        decision = ratelimit.hit("unblock", ip=client_ip(request))
        if not decision.allowed:
            return _too_many(request, decision)
        if not login_block_release_by_token(token=_cookie_token(request), request=request):
            return _forget(render(request, TEMPLATE, {"state": "invalid"}, status=400))
        login_url = reverse("accounts:login")
        return _forget(render(request, TEMPLATE, {"state": "done", "login_url": login_url}))
