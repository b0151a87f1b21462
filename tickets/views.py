"""The hosted forgot-password and reset pages (``/u/reset-password...``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET

from accounts import ratelimit
from accounts.events import client_ip, rate_limited
from accounts.models import ResetMethod, email_key
from accounts.policy import policy_failures_split, policy_refusal_text, policy_rules
from accounts.selectors import (
    application_by_client_id,
    connection_by_name,
    connection_for_application,
)
from accounts.services import PasswordChangeError
from accounts.services.authenticators import has_authenticator, second_factor_verify
from emails.sealing import SealBroken, seal, unseal
from tickets.codes import CodeInvalid, reset_code_redeem
from tickets.forms import ResetRequestForm, SetPasswordForm
from tickets.models import PasswordChangeTicket, TicketRevokedReason
from tickets.requests import reset_request_accept
from tickets.services import (
    TicketInvalid,
    TicketProblem,
    ticket_check,
    ticket_failure_log,
    ticket_redeem,
)

# Between the link and the new password the token lives in a reset session of its own: a
# cookie holding it sealed (encrypted and authenticated with SECRET_KEY), scoped to the reset
# pages and short-lived. It is not the login session: opening a link in a browser where someone
# is logged in changes nothing for them, and the redeemer is never logged in by it. A planted
# cookie cannot carry a token the attacker does not have, so there is nothing to fixate.
RESET_COOKIE = "rekey_reset"
RESET_COOKIE_PATH = "/u/reset-password"
RESET_COOKIE_AGE = 3600
# Set once the user gave their second factor for this ticket (Auth0's reset-password-mfa-*).
RESET_MFA_COOKIE = "rekey_reset_mfa"
# The address typed on the forgot page, for its "check your email" page (and its Resend).
SENT_COOKIE = "rekey_reset_sent"
SENT_COOKIE_AGE = 900
# Seconds before "check your email" offers to send again.
RESEND_DELAY = 30

PROBLEM_TEXT = {
    TicketProblem.UNKNOWN: gettext_lazy(
        "This link is not valid. It may have been copied incompletely."
    ),
    TicketProblem.EXPIRED: gettext_lazy("This link has expired."),
    TicketProblem.USED: gettext_lazy("This link has already been used."),
    TicketProblem.REVOKED: gettext_lazy("This link is no longer valid."),
    TicketProblem.BLOCKED: gettext_lazy("This account is blocked."),
}
# A revoked link says why it was cancelled: "replaced by a newer one" would send someone whose
# password an administrator changed looking for an email that never came.
REVOKED_TEXT: dict[str, Any] = {
    TicketRevokedReason.SUPERSEDED: gettext_lazy("This link was replaced by a newer one."),
    TicketRevokedReason.PASSWORD_SET_BY_STAFF: gettext_lazy(
        "This link was cancelled because your password was changed by an administrator."
    ),
    TicketRevokedReason.PASSWORD_CHANGED: gettext_lazy(
        "This link was cancelled because your password was changed after it was sent."
    ),
    TicketRevokedReason.BLOCKED: gettext_lazy(
        "This link was cancelled because the account was blocked."
    ),
    TicketRevokedReason.EMAIL_CHANGED: gettext_lazy(
        "This link was cancelled because the account's email address was changed."
    ),
    TicketRevokedReason.ACCESS_REVOKED: gettext_lazy("This link was cancelled."),
}


def _keep_params(request: HttpRequest, *names: str) -> str:
    params = {k: request.GET[k] for k in names if isinstance(request.GET.get(k), str)}
    return "?" + urlencode(params) if params else ""


def _too_many(request: HttpRequest, decision: ratelimit.Decision) -> HttpResponse:
    return rate_limited(
        render(request, "tickets/too_many.html", {"retry_after": decision.retry_after}, status=429),
        decision=decision,
        action="reset_pages",
        request=request,
        description="Too many requests from this address",
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
        return _to_new_password(request, token)

    def _render(
        self, request: HttpRequest, email: str, error: str = "", status: int = 200
    ) -> HttpResponse:
        context = {**_sent_context(request, email), "error": error}
        return render(request, "tickets/reset_code.html", context, status=status)


@never_cache
@require_GET
def reset_done(request: HttpRequest) -> HttpResponse:
    """'Password changed': where a successful reset lands, so a refresh sends nothing again."""
    application = application_by_client_id(request.GET.get("client_id", ""))
    if application is not None and application.default_login_route:
        login_url = application.default_login_route
    else:
        login_url = reverse("accounts:login") + _keep_params(request, "connection", "ui_locales")
    context = {"message": _("Your password has been changed successfully."), "login_url": login_url}
    return render(request, "tickets/reset_done.html", context)


def _forget_reset(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(RESET_COOKIE, path=RESET_COOKIE_PATH, samesite="Lax")
    response.delete_cookie(RESET_MFA_COOKIE, path=RESET_COOKIE_PATH, samesite="Lax")
    return response


def _with_params(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


def _failure(request: HttpRequest, error: TicketInvalid | None, status: int = 400) -> HttpResponse:
    ticket = error.ticket if error else None
    problem = error.problem if error else TicketProblem.UNKNOWN
    reason = error.revoked_reason if error else ""
    message = str(REVOKED_TEXT.get(reason) or PROBLEM_TEXT[problem])
    if ticket is not None and ticket.result_url:
        return _forget_reset(
            HttpResponseRedirect(
                _with_params(ticket.result_url, {"success": "false", "message": message})
            )
        )
    request_url = reverse("tickets:reset-request")
    if ticket is not None:
        request_url += "?" + urlencode({"connection": ticket.user.connection.name})
    context = {"message": message, "request_url": request_url}
    return _forget_reset(render(request, "tickets/reset_invalid.html", context, status=status))


@never_cache
@require_GET
@sensitive_variables("token")
def reset_link(request: HttpRequest) -> HttpResponse:
    """The link in the email: check the ticket (never use it), keep it, drop it from the URL."""
    token = request.GET.get("ticket", "")
    try:
        ticket_check(token=token)
    except TicketInvalid as error:
        decision = ratelimit.hit("reset_link_bad", ip=client_ip(request))
        if not decision.allowed:
            return _too_many(request, decision)
        ticket_failure_log(error=error, request=request)
        return _failure(request, error)
    return _to_new_password(request, token)


def _to_new_password(request: HttpRequest, token: str) -> HttpResponse:
    """On to the new-password page, the ticket's token kept sealed in the reset cookie."""
    response = redirect(reverse("tickets:reset-set") + _keep_params(request, "ui_locales"))
    response.set_cookie(
        RESET_COOKIE,
        seal({"token": token}),
        max_age=RESET_COOKIE_AGE,
        path=RESET_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _session_token(request: HttpRequest) -> str:
    sealed = request.COOKIES.get(RESET_COOKIE, "")
    if not sealed:
        return ""
    try:
        return str(unseal(sealed, max_age=RESET_COOKIE_AGE).get("token", ""))
    except SealBroken:
        return ""


def _mfa_needed(request: HttpRequest, ticket: PasswordChangeTicket) -> bool:
    """The user has an authenticator and has not given a code for this ticket yet."""
    if not has_authenticator(ticket.user):
        return False
    sealed = request.COOKIES.get(RESET_MFA_COOKIE, "")
    try:
        passed = unseal(sealed, max_age=RESET_COOKIE_AGE).get("ticket") if sealed else None
    except SealBroken:
        passed = None
    return passed != str(ticket.pk)


def _mfa_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    return render(request, "tickets/reset_mfa.html", {"error": error}, status=status)


@method_decorator(
    [sensitive_post_parameters(), sensitive_variables(), never_cache, csrf_protect], "dispatch"
)
class ResetMfaView(View):
    """After the link and before the new password: a code of the user's authenticator."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            ticket_check(token=_session_token(request))
        except TicketInvalid as error:
            return _failure(request, error)
        return _mfa_page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            ticket = ticket_check(token=_session_token(request))
        except TicketInvalid as error:
            ticket_failure_log(error=error, request=request)
            return _failure(request, error)
        decision = ratelimit.hit("reset_set_ticket", key=str(ticket.pk))
        if not decision.allowed:
            return _too_many(request, decision)
        code = request.POST.get("code", "")[:64]
        if not second_factor_verify(user=ticket.user, code=code, request=request):
            return _mfa_page(request, _("That code is not right."), status=400)
        response = redirect(reverse("tickets:reset-set") + _keep_params(request, "ui_locales"))
        response.set_cookie(
            RESET_MFA_COOKIE,
            seal({"ticket": str(ticket.pk)}),
            max_age=RESET_COOKIE_AGE,
            path=RESET_COOKIE_PATH,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


@method_decorator(
    [sensitive_post_parameters(), sensitive_variables(), never_cache, csrf_protect], "dispatch"
)
class ResetSetView(View):
    """New password twice; on success the ticket is used and the user is NOT logged in."""

    template_name = "tickets/reset_set.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            ticket = ticket_check(token=_session_token(request))
        except TicketInvalid as error:
            return _failure(request, error)
        if _mfa_needed(request, ticket):
            return redirect(reverse("tickets:reset-mfa") + _keep_params(request, "ui_locales"))
        return self._render(request, ticket, SetPasswordForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        decision = ratelimit.hit("reset_set", ip=client_ip(request))
        if not decision.allowed:
            return _too_many(request, decision)
        token = _session_token(request)
        try:
            ticket = ticket_check(token=token)
        except TicketInvalid as error:
            ticket_failure_log(error=error, request=request)
            return _failure(request, error)
        if _mfa_needed(request, ticket):
            return _mfa_page(request, _("Enter a code from your authenticator first."), 403)
        # Per ticket: a refused try may cost a history check of many hashes.
        decision = ratelimit.hit("reset_set_ticket", key=str(ticket.pk))
        if not decision.allowed:
            return _too_many(request, decision)
        form = SetPasswordForm(request.POST)
        if not form.is_valid():
            return self._render(request, ticket, form, status=400)
        try:
            ticket_redeem(token=token, password=form.cleaned_data["password"], request=request)
        except TicketInvalid as error:
            return _failure(request, error)
        except PasswordChangeError as error:
            codes, unshown = policy_failures_split(self._rules(ticket), error.failures)
            if error.failures:
                form.add_error("password", policy_refusal_text(unshown))
            else:
                form.add_error(None, error.message)
            return self._render(request, ticket, form, status=400, failed_codes=codes)
        # The user is not logged in; password_set has ended every login session of theirs.
        message = _("Your password has been changed successfully.")
        if ticket.result_url:
            params = {"success": "true", "message": message}
            if ticket.include_email_in_redirect:
                params["email"] = ticket.user.email
            return _forget_reset(HttpResponseRedirect(_with_params(ticket.result_url, params)))
        params = {"connection": ticket.user.connection.name}
        if ticket.application_id:
            params["client_id"] = str(ticket.application_id)
        if "ui_locales" in request.GET:
            params["ui_locales"] = str(request.GET["ui_locales"])
        done = reverse("tickets:reset-done") + "?" + urlencode(params)
        return _forget_reset(HttpResponseRedirect(done, status=303))

    def _render(
        self,
        request: HttpRequest,
        ticket: PasswordChangeTicket,
        form: SetPasswordForm,
        status: int = 200,
        failed_codes: list[str] | None = None,
    ) -> HttpResponse:
        context = {
            "form": form,
            "rules": self._rules(ticket),
            "failed_codes": failed_codes or [],
            "email": ticket.user.email,
        }
        return render(request, self.template_name, context, status=status)

    def _rules(self, ticket: PasswordChangeTicket) -> list[dict]:
        rules = policy_rules(ticket.user.connection)
        for rule in rules:
            rule["code"] = str(rule["code"])
        return rules


@never_cache
@require_GET
def email_verification(request: HttpRequest) -> HttpResponse:
    """The link of a verification ticket: verify the email at once, as Auth0's link does.

    Unlike a reset link there is nothing to choose, so opening it is the whole act, and the
    token is used up with it: a copy left in the history or a Referer opens nothing.
    """
    from tickets.verification import VERIFIED, VerificationInvalid, email_verify

    try:
        ticket = email_verify(token=request.GET.get("ticket", ""), request=request)
    except VerificationInvalid as error:
        if error.ticket is not None and error.ticket.result_url:
            params = {"success": "false", "message": error.message}
            return HttpResponseRedirect(_with_params(error.ticket.result_url, params))
        context = {"message": _(error.message)}
        return render(request, "tickets/email_verification_invalid.html", context, status=400)
    if ticket.result_url:
        params = {"success": "true", "message": VERIFIED}
        if ticket.include_email_in_redirect:
            params["email"] = ticket.user.email
        return HttpResponseRedirect(_with_params(ticket.result_url, params))
    return render(request, "tickets/email_verified.html", {"message": _(VERIFIED)})
