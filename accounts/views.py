"""The hosted login (``/u/login``, ``/u/logout``) and ``/healthz``."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts import bruteforce, ratelimit
from accounts.audit import Audit, Door
from accounts.events import log_event, log_event_counted, rate_limited
from accounts.forms import LoginForm
from accounts.models import Application, LogType, User, email_key
from accounts.oidc.views import callback_origin
from accounts.selectors import application_by_client_id, connection_by_name, user_by_email
from accounts.services import login_record, session_record

BLOCKED_MESSAGE = gettext_lazy(
    "Your account has been blocked after multiple consecutive login attempts. We've sent you "
    "an email with instructions on how to unblock it."
)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def blocked_context(*, staff: bool) -> dict[str, Any]:
    """What the blocked page says: the configured text, or whom to contact."""
    support_email = "" if staff else settings.REKEY_SUPPORT_EMAIL
    support_url = "" if staff else settings.REKEY_SUPPORT_URL
    return {
        "message": "" if staff else settings.REKEY_BLOCKED_MESSAGE,
        "support_email": support_email,
        "support_url": support_url,
        "staff": staff,
    }


@method_decorator([sensitive_post_parameters("password"), never_cache, csrf_protect], "dispatch")
class LoginView(View):
    """The hosted login of the tenant's database connections (never the staff realm)."""

    template_name = "accounts/login.html"
    form_class: type[LoginForm] = LoginForm

    def get(self, request: HttpRequest) -> HttpResponse:
        connection = request.GET.get("connection") or settings.REKEY_DEFAULT_CONNECTION
        initial = {"connection": connection}
        if login_hint := request.GET.get("login_hint", "")[:254]:
            initial["email"] = login_hint  # OIDC's login_hint, passed on by /authorize
        form = self.form_class(initial=initial)
        return self._render(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        email = form.cleaned_data["email"]
        connection_name = self.connection_name(form)
        ip = request.META.get("REMOTE_ADDR")
        decision = ratelimit.hit("login", ip=ip)
        if not decision.allowed:
            form.add_error(
                None,
                _("Too many attempts. Try again in %(s)d seconds.") % {"s": decision.retry_after},
            )
            return rate_limited(
                self._render(request, form, status=429),
                decision=decision,
                action="login",
                request=request,
                description="Too many login attempts",
                user_name=email,
                connection_name=connection_name,
            )
        application = application_by_client_id(request.GET.get("client_id", ""))
        pair = {"ip": ip, "identifier": email, "connection": connection_name}
        if bruteforce.login_blocked(**pair):
            return self._blocked(request, form, email, connection_name, application)
        password = form.cleaned_data["password"]
        known = self.known_user(email, form)
        blocked_and_right = False
        if known is not None and known.blocked and known.connection.is_database:
            # One hash, as ``authenticate`` spends for everyone else: only someone who knows
            # the password learns that the account is blocked.
            blocked_and_right = known.check_password(password)
            user = None
        else:
            user = authenticate(request, email=email, password=password, **self.realm(form))
        if user is None:
            log_event(
                type=LogType.FAILED_LOGIN,
                description="Blocked user"
                if known and known.blocked
                else "Wrong email or password.",
                user=known,
                user_name=email,
                connection_name=connection_name,
                application=application,
                request=request,
            )
            if blocked_and_right:
                context = blocked_context(staff=bool(known and known.is_staff))
                return render(request, "accounts/blocked.html", context, status=403)
            if bruteforce.login_failure_record(
                **pair,
                user=known,
                audit=Audit.of(request, door=Door.LOGIN, application=application),
            ):
                # This failure blocked the pair (logged limit_wc by the service).
                form.add_error(None, BLOCKED_MESSAGE)
                return self._render(request, form, status=429)
            form.add_error(None, _("Wrong email or password."))
            return self._render(request, form, status=400)
        bruteforce.login_success_record(**pair)
        login(request, user)
        session_record(user=user, request=request)
        login_record(user=user, request=request, application=application)
        return redirect(_safe_next(request) or self.success_url())

    # The realm: what the staff login (in the dashboard) overrides.

    def connection_name(self, form: LoginForm) -> str:
        return str(form.cleaned_data["connection"])

    def realm(self, form: LoginForm) -> dict[str, Any]:
        """What ``authenticate`` is told besides the email and password."""
        return {"connection": form.cleaned_data["connection"]}

    def known_user(self, email: str, form: LoginForm) -> User | None:
        conn = connection_by_name(form.cleaned_data["connection"])
        return user_by_email(connection=conn, email=email) if conn else None

    def success_url(self) -> str:
        return reverse("accounts:login-done")

    def _blocked(
        self,
        request: HttpRequest,
        form: LoginForm,
        email: str,
        connection_name: str,
        application: Application | None,
    ) -> HttpResponse:
        """The same answer whether or not the email is a user's (no password was checked)."""
        log_event_counted(
            scope=f"limit_wc:{request.META.get('REMOTE_ADDR')}:{email_key(email)}",
            type=LogType.LIMIT_WC,
            description="Login attempt from a blocked IP for this account",
            user_name=email,
            connection_name=connection_name,
            application=application,
            request=request,
        )
        form.add_error(None, BLOCKED_MESSAGE)
        return self._render(request, form, status=429)

    def _render(self, request: HttpRequest, form: LoginForm, status: int = 200) -> HttpResponse:
        params = {
            k: request.GET[k] for k in ("connection", "client_id", "ui_locales") if k in request.GET
        }
        value = form["connection"].value() if "connection" in form.fields else None
        if "connection" not in params and value:
            params["connection"] = str(value)
        reset_url = reverse("tickets:reset-request") + ("?" + urlencode(params) if params else "")
        next_url = _safe_next(request)
        response = render(
            request,
            self.template_name,
            {"form": form, "reset_url": reset_url, "next": next_url},
            status=status,
        )
        if next_url and (origin := callback_origin(next_url)):
            # The POST's redirects end at the application's callback: form-action must allow it.
            csp: dict[str, Any] = dict(settings.SECURE_CSP)
            csp["form-action"] = [*csp.get("form-action", []), origin]
            response._csp_config = csp  # type: ignore[attr-defined]
        return response


@never_cache
def login_done(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "accounts/login_done.html")


@method_decorator([never_cache, csrf_protect], "dispatch")
class LogoutView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "accounts/logout.html")

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            log_event(
                type=LogType.SUCCESS_LOGOUT,
                description="Logout",
                user=request.user,  # type: ignore[arg-type]
                request=request,
            )
        next_url = _safe_next(request)
        logout(request)
        return redirect(next_url or "accounts:login")


def _database_check() -> str:
    from django.db import connections

    conn = connections["default"]
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    finally:
        conn.close()  # a thread of the pool: never keep its connection


def _redis_check() -> str:
    cache.set("healthz", "1", timeout=5)
    return "ok" if cache.get("healthz") == "1" else "unreadable"


# Checks run here, so that a database or Redis that never answers costs the deadline, not the
# request: a hung check keeps one of these threads until its own timeout, never the server's.
_HEALTHZ_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")
HEALTHZ_DEADLINE = 1.5


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database (and Redis when configured) reachable: 200, else 503; within 2 s in any case."""
    checks = {"database": _database_check}
    if settings.REDIS_URL:
        checks["redis"] = _redis_check
    futures = {name: _HEALTHZ_POOL.submit(check) for name, check in checks.items()}
    deadline = time.monotonic() + HEALTHZ_DEADLINE
    results: dict[str, str] = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            results[name] = "timeout"
        except Exception as exc:
            results[name] = type(exc).__name__
    ok = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if ok else "fail", **results}, status=200 if ok else 503)
