"""What the hosted reset pages share: their cookies, their problem texts, small helpers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from accounts import ratelimit
from accounts.events import rate_limited
from emails.sealing import seal
from tickets.models import TicketRevokedReason
from tickets.services import (
    TicketInvalid,
    TicketProblem,
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


def to_new_password(request: HttpRequest, token: str) -> HttpResponse:
    """On to the new-password page, the ticket's token kept sealed in the reset cookie."""
    return to_new_password_with(request, RESET_COOKIE, {"token": token})


def to_new_password_with(request: HttpRequest, cookie: str, value: dict[str, str]) -> HttpResponse:
    """On to the new-password page, ``value`` kept sealed in ``cookie`` (a reset page's cookie:
    scoped to the reset pages, short-lived, HTTP only)."""
    response = redirect(reverse("tickets:reset-set") + _keep_params(request, "ui_locales"))
    response.set_cookie(
        cookie,
        seal(value),
        max_age=RESET_COOKIE_AGE,
        path=RESET_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
