"""From the link to the new password: the link, the second factor, the new password, done."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
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
from accounts.audit import Audit, Door
from accounts.events import client_ip
from accounts.policy import policy_failures_split, policy_refusal_text, policy_rules
from accounts.selectors import (
    application_by_client_id,
)
from accounts.services import PasswordChangeError
from accounts.services.authenticators import has_authenticator, second_factor_verify
from emails.sealing import SealBroken, unseal
from tickets.forms import SetPasswordForm
from tickets.models import PasswordChangeTicket
from tickets.services import (
    TicketInvalid,
    ticket_check,
    ticket_failure_log,
    ticket_redeem,
)

# Between the link and the new password the token lives in a reset session of its own: a
# cookie holding it sealed (encrypted and authenticated with SECRET_KEY), scoped to the reset
from tickets.views.common import (
    RESET_COOKIE,
    RESET_COOKIE_AGE,
    RESET_MFA_COOKIE,
    _failure,
    _forget_reset,
    _keep_params,
    _too_many,
    _with_params,
    to_new_password,
    to_new_password_with,
)


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
    return to_new_password(request, token)


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
        audit = Audit.of(request, door=Door.RESET, application=ticket.application)
        if not second_factor_verify(user=ticket.user, code=code, audit=audit):
            return _mfa_page(request, _("That code is not right."), status=400)
        return to_new_password_with(request, RESET_MFA_COOKIE, {"ticket": str(ticket.pk)})


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
