"""Staff: who they are, an administrator's reset of another staff member, and one's own password.

Staff live in the staff realm, out of reach of every tenant door; these pages (and
``manage.py changepassword``, the break-glass path) are the only ways their passwords change.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import User
from accounts.policy import policy_failures_split, policy_refusal_text, policy_rules
from accounts.selectors import staff_users
from accounts.services import (
    Audit,
    Door,
    PasswordChangeError,
    PasswordPolicyError,
    password_set,
)
from dashboard.forms import AccountPasswordForm
from dashboard.permissions import TIMEZONE_SESSION_KEY, StaffView, otp_device_confirmed
from dashboard.views.danger import PasswordChangeView


class StaffListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        staff = staff_users().order_by("email_key", "id")
        return render(request, "dashboard/staff/list.html", {"staff": staff, "nav": "staff"})


class StaffPasswordResetView(PasswordChangeView):
    """An administrator sets another staff member's password: re-authenticated and logged."""

    title = gettext_lazy("Reset staff password")
    explanation = gettext_lazy(
        "Sets a new password for this staff member now. Their sessions end; tell them the new "
        "password out of band and ask them to change it from their own account page."
    )

    def target_get(self, user_id: str) -> User:
        # One's own password needs the current one (and the second factor): the account page.
        me: Any = self.request.user
        return get_object_or_404(staff_users().exclude(pk=me.pk), user_id=user_id)

    def back_url(self, target: User) -> str:
        return reverse("dashboard:staff-list")

    def render(self, form: Any, target: User, status: int = 200, **extra: Any) -> HttpResponse:
        extra.setdefault("nav", "staff")
        return super().render(form, target, status, **extra)


@method_decorator(
    sensitive_post_parameters("current_password", "new_password1", "new_password2", "otp_token"),
    name="dispatch",
)
class AccountPasswordView(StaffView):
    """A staff member changes their own password: current one, new one twice, second factor."""

    otp_exempt = False
    viewer_may_post = True  # every staff member changes their own password

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(self._form(None))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        user: User = request.user  # type: ignore[assignment]
        try:
            password_set(
                user=user,
                password=form.cleaned_data["new_password1"],
                audit=Audit.of(request, door=Door.ACCOUNT, actor=user),
                keep_session_key=request.session.session_key,
            )
        except PasswordPolicyError as exc:
            codes, unshown = policy_failures_split(policy_rules(user.connection), exc.failures)
            form.add_error("new_password1", policy_refusal_text(unshown))
            return self._render(form, status=400, failed_codes=codes)
        except PasswordChangeError as exc:
            form.add_error(None, exc.message)
            return self._render(form, status=400)
        # This session stays signed in; every other one has ended.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed. Your other sessions ended."))
        return redirect("dashboard:account-password")

    def _form(self, data: Any) -> AccountPasswordForm:
        return AccountPasswordForm(
            data, request=self.request, otp_required=otp_device_confirmed(self.request.user)
        )

    def _render(
        self, form: AccountPasswordForm, status: int = 200, failed_codes: list[str] | None = None
    ) -> HttpResponse:
        user: Any = self.request.user
        if not user.is_staff:
            return HttpResponseForbidden()
        return render(
            self.request,
            "dashboard/staff/account_password.html",
            {
                "form": form,
                "rules": policy_rules(user.connection),
                "failed_codes": failed_codes or [],
                "timezones": sorted(available_timezones() | {"UTC"}),
                "current_timezone": self.request.session.get(TIMEZONE_SESSION_KEY, "UTC"),
                "nav": "account",
            },
            status=status,
        )


class TimezoneView(StaffView):
    """A staff member picks the time zone the dashboard shows times in (for this session)."""

    viewer_may_post = True

    def post(self, request: HttpRequest) -> HttpResponse:
        name = request.POST.get("timezone", "")
        if name == "UTC" or name in available_timezones():
            request.session[TIMEZONE_SESSION_KEY] = name
            messages.success(request, _("Times are now shown in %(zone)s.") % {"zone": name})
        else:
            messages.error(request, _("That is not a time zone."))
        return redirect("dashboard:account-password")
