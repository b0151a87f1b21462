"""The hosted login (``/u/login``, ``/u/logout``) and ``/healthz``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.cache import cache
from django.db import connection as db_connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts import ratelimit
from accounts.events import log_event
from accounts.forms import LoginForm
from accounts.models import LogType
from accounts.selectors import application_by_client_id, connection_by_name, user_by_email
from accounts.services import login_record, session_record


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@method_decorator([sensitive_post_parameters("password"), never_cache, csrf_protect], "dispatch")
class LoginView(View):
    template_name = "accounts/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        connection = request.GET.get("connection") or settings.REKEY_DEFAULT_CONNECTION
        form = LoginForm(initial={"connection": connection})
        return self._render(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LoginForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        email = form.cleaned_data["email"]
        connection_name = form.cleaned_data["connection"]
        ip = request.META.get("REMOTE_ADDR")
        decision = ratelimit.hit("login", ip=ip, key=email.casefold())
        if not decision.allowed:
            log_event(
                type=LogType.API_LIMIT,
                description="Too many login attempts",
                user_name=email,
                connection_name=connection_name,
                request=request,
            )
            form.add_error(
                None,
                _("Too many attempts. Try again in %(s)d seconds.") % {"s": decision.retry_after},
            )
            response = self._render(request, form, status=429)
            for name, value in ratelimit.headers(decision).items():
                response[name] = value
            return response
        application = application_by_client_id(request.GET.get("client_id", ""))
        user = authenticate(
            request,
            email=email,
            password=form.cleaned_data["password"],
            connection=connection_name,
        )
        if user is None:
            conn = connection_by_name(connection_name)
            known = user_by_email(connection=conn, email=email) if conn else None
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
            form.add_error(None, _("Wrong email or password."))
            return self._render(request, form, status=400)
        login(request, user)
        session_record(user=user, request=request)
        login_record(user=user, request=request, application=application)
        return redirect(_safe_next(request) or reverse("accounts:login-done"))

    def _render(self, request: HttpRequest, form: LoginForm, status: int = 200) -> HttpResponse:
        params = {
            k: request.GET[k] for k in ("connection", "client_id", "ui_locales") if k in request.GET
        }
        if "connection" not in params and form["connection"].value():
            params["connection"] = str(form["connection"].value())
        reset_url = reverse("tickets:reset-request") + ("?" + urlencode(params) if params else "")
        return render(
            request,
            self.template_name,
            {"form": form, "reset_url": reset_url, "next": _safe_next(request)},
            status=status,
        )


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
        logout(request)
        return redirect("accounts:login")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database (and Redis when configured) reachable: 200, else 503."""
    checks: dict[str, str] = {}
    ok = True
    try:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        ok = False
        checks["database"] = type(exc).__name__
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "1", timeout=5)
            checks["redis"] = "ok" if cache.get("healthz") == "1" else "unreadable"
            ok = ok and checks["redis"] == "ok"
        except Exception as exc:
            ok = False
            checks["redis"] = type(exc).__name__
    return JsonResponse({"status": "ok" if ok else "fail", **checks}, status=200 if ok else 503)
