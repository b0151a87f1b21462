"""The forgot-password pages: the request form, "check your email", and the code entry."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET

from accounts import ratelimit
from accounts.events import client_ip
from accounts.models import ResetMethod, email_key
from accounts.selectors import (
    application_by_client_id,
    connection_by_name,
    connection_for_application,
)
from emails.sealing import SealBroken, seal, unseal
from tickets.codes import CodeInvalid, reset_code_redeem
from tickets.forms import ResetRequestForm
from tickets.requests import reset_request_accept

# Between the link and the new password the token lives in a reset session of its own: a
# cookie holding it sealed (encrypted and authenticated with SECRET_KEY), scoped to the reset
from tickets.views.common import (
    RESEND_DELAY,
    RESET_COOKIE_PATH,
    SENT_COOKIE,
    SENT_COOKIE_AGE,
    _keep_params,
    _too_many,
    to_new_password,
)


@method_decorator([sensitive_post_parameters(), never_cache, csrf_protect], "dispatch")
class ResetRequestView(View):
    """Enter an email; the same confirmation whether or not an account exists."""

    template_name = "tickets/reset_request.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        connection = request.GET.get("connection") or settings.REKEY_DEFAULT_CONNECTION
        return self._render(request, ResetRequestForm(initial={"connection": connection}))

    def post(self, request: HttpRequest) -> HttpResponse:
        decision = ratelimit.hit("change_password", ip=client_ip(request))
        if not decision.allowed:
            return _too_many(request, decision)
        form = ResetRequestForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        client_id = request.GET.get("client_id", "")
        application = application_by_client_id(client_id) if client_id else None
        connection = (
            None
            if client_id and application is None
            else connection_for_application(
                name=form.cleaned_data["connection"], application=application
            )
        )
        if connection is None:
            form.add_error(None, _("This sign-in page is not set up for password resets."))
            return self._render(request, form, status=400)
        reset_request_accept(
            email=form.cleaned_data["email"],
            connection=connection,
            application=application,
            request=request,
        )
        # Post/redirect/get: a refresh shows the confirmation again without sending again. The
        # address as typed rides in a sealed cookie of the reset pages, whoever it belongs to.
        # Where the user goes next depends on the connection only, never on the email.
        by_code = connection.password_reset_method == ResetMethod.CODE
        response = redirect(
            reverse("tickets:reset-code" if by_code else "tickets:reset-request-sent")
            + _keep_params(request, "connection", "client_id", "ui_locales"),
        )
        response.status_code = 303
        response.set_cookie(
            SENT_COOKIE,
            seal({"email": form.cleaned_data["email"]}),
            max_age=_sent_cookie_age(),
            path=RESET_COOKIE_PATH,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response

    def _render(self, request: HttpRequest, form: ResetRequestForm, status: int = 200):
        login_url = reverse("accounts:login") + _keep_params(
            request, "connection", "client_id", "ui_locales"
        )
        name = request.GET.get("connection") or settings.REKEY_DEFAULT_CONNECTION
        connection = connection_by_name(name) if isinstance(name, str) else None
        context = {
            "form": form,
            "login_url": login_url,
            "by_code": bool(connection and connection.password_reset_method == ResetMethod.CODE),
        }
        return render(request, self.template_name, context, status=status)


def _sent_cookie_age() -> int:
    """The forgot page's cookie lives as long as a reset code does, at least."""
    return max(SENT_COOKIE_AGE, settings.REKEY_RESET_CODE_LIFETIME)


def _sent_email(request: HttpRequest) -> str | None:
    """The address typed on the forgot page (its sealed cookie), or None."""
    try:
        sealed = request.COOKIES.get(SENT_COOKIE, "")
        return str(unseal(sealed, max_age=_sent_cookie_age())["email"])
    except (SealBroken, KeyError):
        return None


def _sent_context(request: HttpRequest, email: str) -> dict[str, object]:
    return {
        "email": email,
        "connection": request.GET.get("connection") or settings.REKEY_DEFAULT_CONNECTION,
        "resend_url": reverse("tickets:reset-request")
        + _keep_params(request, "connection", "client_id", "ui_locales"),
        "resend_delay": RESEND_DELAY,
        "login_url": reverse("accounts:login")
        + _keep_params(request, "connection", "client_id", "ui_locales"),
    }


def _back_to_request(request: HttpRequest) -> HttpResponse:
    return redirect(
        reverse("tickets:reset-request")
        + _keep_params(request, "connection", "client_id", "ui_locales")
    )


@never_cache
@require_GET
def reset_request_sent(request: HttpRequest) -> HttpResponse:
    """'Check your email', with the address as typed and a Resend offered after a delay."""
    email = _sent_email(request)
    if email is None:
        return _back_to_request(request)
    return render(request, "tickets/reset_request_done.html", _sent_context(request, email))


@method_decorator(
    [sensitive_post_parameters(), sensitive_variables(), never_cache, csrf_protect], "dispatch"
)
class ResetCodeView(View):
    """'Enter your code' (connections that reset by code): the code opens the reset pages."""

    def get(self, request: HttpRequest) -> HttpResponse:
        email = _sent_email(request)
        if email is None:
            return _back_to_request(request)
        return self._render(request, email)

    def post(self, request: HttpRequest) -> HttpResponse:
        email = _sent_email(request)
        if email is None:
            return _back_to_request(request)
        decision = ratelimit.hit("reset_code", ip=client_ip(request), key=email_key(email))
        if not decision.allowed:
            return _too_many(request, decision)
        client_id = request.GET.get("client_id", "")
        application = application_by_client_id(client_id) if client_id else None
        connection = connection_for_application(
            name=request.GET.get("connection") or settings.REKEY_DEFAULT_CONNECTION,
            application=application,
        )
        if connection is None:
            return _back_to_request(request)
        try:
            token = reset_code_redeem(
                email=email,
                connection=connection,
                code=request.POST.get("code", "")[:64],
                request=request,
            )
        except CodeInvalid:
            error = _(
                "That code is not right, or it has expired. Check the newest email, or ask for "
                "a new code."
            )
            return self._render(request, email, error=error, status=400)
        return to_new_password(request, token)

    def _render(
        self, request: HttpRequest, email: str, error: str = "", status: int = 200
    ) -> HttpResponse:
        context = {**_sent_context(request, email), "error": error}
        return render(request, "tickets/reset_code.html", context, status=status)
