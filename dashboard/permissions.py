"""Who may see and do what in the dashboard, checked on the server for every request.

Two roles: viewers (``is_staff``) may read everything; administrators (``is_administrator``)
may also write. Every unsafe method is refused with 403 unless the user is an administrator,
whatever the page showed. A staff member with a confirmed TOTP device must have verified it in
this session; ``REKEY_REQUIRE_STAFF_OTP`` makes having one compulsory.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import Audit, Door

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PASSWORD_AT_SESSION_KEY = "dashboard.password_at"


def staff_audit(request: HttpRequest, reason: str = "") -> Audit:
    """The ``Audit`` of a staff member's write from the dashboard, with their own reason."""
    return Audit.of(
        request,
        door=Door.DASHBOARD,
        actor=request.user,  # type: ignore[arg-type]
        reason=reason,
    )


def password_entered(request: HttpRequest) -> None:
    """Remember that the staff member has just typed their own password."""
    request.session[PASSWORD_AT_SESSION_KEY] = timezone.now().timestamp()


def reauth_needed(request: HttpRequest) -> bool:
    """True when the staff member must type their password again before a Danger Zone action."""
    at = request.session.get(PASSWORD_AT_SESSION_KEY)
    if not isinstance(at, int | float):
        return True
    return timezone.now().timestamp() - at > settings.REKEY_REAUTH_SECONDS


def login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse("dashboard:login") + "?" + urlencode({"next": request.get_full_path()})
    )


TIMEZONE_SESSION_KEY = "dashboard.timezone"


def staff_timezone(request: HttpRequest) -> ZoneInfo | None:
    """The time zone the staff member chose for this session, if any."""
    name = request.session.get(TIMEZONE_SESSION_KEY)
    if not isinstance(name, str) or name not in available_timezones():
        return None
    return ZoneInfo(name)


def no_access(request: HttpRequest) -> HttpResponse:
    """The page a signed-in account without a staff role gets instead of the dashboard."""
    return render(request, "dashboard/no_access.html", status=403)


def otp_device_confirmed(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_token_matches(user: Any, token: str) -> bool:
    """True when the token is a current code of one of the user's confirmed TOTP devices."""
    if not token or not token.isdigit():
        return False
    return any(
        device.verify_token(token)
        for device in TOTPDevice.objects.filter(user=user, confirmed=True)
    )


@method_decorator([never_cache, csrf_protect], name="dispatch")
class StaffView(View):
    """Base of every dashboard view: staff only, second factor, administrators for writes."""

    # Unsafe methods a viewer may still use (e.g. checking a password against a policy).
    viewer_may_post = False
    # The second-factor pages themselves must be reachable before the factor is verified.
    otp_exempt = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return login_redirect(request)
        if not getattr(user, "is_staff", False):
            # Signed in, but not as staff (a tenant's user, or a role removed): say so, rather
            # than sending them back to a login form that would take them nowhere.
            return no_access(request)
        if not self.otp_exempt and (redirect := self._otp_redirect(request)):
            return redirect
        if request.method not in SAFE_METHODS and not self.viewer_may_post:
            administrator_required(request)
        zone = staff_timezone(request)
        if zone is None:
            return super().dispatch(request, *args, **kwargs)
        # Times on the dashboard's pages are shown in the staff member's own zone.
        timezone.activate(zone)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            timezone.deactivate()

    def _otp_redirect(self, request: HttpRequest) -> HttpResponseRedirect | None:
        user: Any = request.user
        if user.is_verified():
            return None
        query = "?" + urlencode({"next": request.get_full_path()})
        if otp_device_confirmed(user):
            return HttpResponseRedirect(reverse("dashboard:otp-verify") + query)
        if settings.REKEY_REQUIRE_STAFF_OTP:
            return HttpResponseRedirect(reverse("dashboard:otp-setup") + query)
        return None


def administrator_required(request: HttpRequest) -> None:
    """Raise 403 unless the signed-in staff member is an administrator."""
    if not getattr(request.user, "is_administrator", False):
        raise PermissionDenied("Viewers cannot change anything.")
