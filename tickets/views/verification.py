"""The email-verification link's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Between the link and the new password the token lives in a reset session of its own: a
# cookie holding it sealed (encrypted and authenticated with SECRET_KEY), scoped to the reset
from tickets.views.common import (
    _with_params,
)


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
