"""``/u/account``: a signed-in end user changes their own password and ends their other sessions."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import bruteforce
from accounts.events import log_event
from accounts.forms import AccountPasswordForm
from accounts.models import LogType, User, UserSession
from accounts.oidc.views import tenant_session_user
from accounts.policy import policy_rules
from accounts.services import (
    Audit,
    Door,
    PasswordChangeError,
    PasswordPolicyError,
    password_change_allowed,
    password_set,
    sessions_end_others,
)
from accounts.services.authenticators import (
    authenticator_enrol_confirm,
    authenticator_enrol_start,
    has_authenticator,
)
from accounts.views import BLOCKED_MESSAGE


def _qr_data_uri(text: str) -> str:
    # An image from data: is allowed by the CSP; the secret never leaves this response.
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@method_decorator(
    [
        sensitive_post_parameters("current_password", "password", "password2", "token"),
        never_cache,
        csrf_protect,
    ],
    "dispatch",
)
class AccountView(View):
    """The end user's own page: password change with the live checklist, and their sessions."""

    template_name = "accounts/account.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = tenant_session_user(request)
        if user is None:
            query = urlencode({"next": request.get_full_path()})
            return redirect(reverse("accounts:login") + "?" + query)
        self.user = user
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, AccountPasswordForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action")
        if action == "totp-start":
            device = authenticator_enrol_start(user=self.user)
            return self._render(request, AccountPasswordForm(), pending=device)
        if action == "totp-confirm":
            codes = authenticator_enrol_confirm(
                user=self.user,
                token=request.POST.get("token", "").strip(),
                audit=Audit.of(request, door=Door.ACCOUNT, actor=self.user),
            )
            if codes is None:
                pending = TOTPDevice.objects.filter(user=self.user, confirmed=False).first()
                return self._render(
                    request,
                    AccountPasswordForm(),
                    status=400,
                    pending=pending,
                    totp_error=_("That code is not right. Try the current one."),
                )
            return self._render(request, AccountPasswordForm(), recovery_codes=codes)
        if action == "sign-out-others":
            count = sessions_end_others(
                user=self.user, keep_session_key=request.session.session_key or "", request=request
            )
            messages.success(request, _("%(n)d other sessions signed out.") % {"n": count})
            return redirect("accounts:account")
        form = AccountPasswordForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        user = self.user
        pair: dict[str, Any] = {
            "ip": request.META.get("REMOTE_ADDR"),
            "identifier": user.email,
            "connection": user.connection.name,
        }
        if bruteforce.login_blocked(**pair):
            form.add_error(None, BLOCKED_MESSAGE)
            return self._render(request, form, status=429)
        if not user.check_password(form.cleaned_data["current_password"]):
            log_event(
                type=LogType.FAILED_CHANGE_PASSWORD,
                description="Wrong current password",
                user=user,
                actor=user,
                request=request,
                details={"door": str(Door.ACCOUNT)},
            )
            if bruteforce.login_failure_record(
                **pair, user=user, audit=Audit.of(request, door=Door.ACCOUNT, actor=user)
            ):
                form.add_error(None, BLOCKED_MESSAGE)
                return self._render(request, form, status=429)
            form.add_error("current_password", _("That is not your current password."))
            return self._render(request, form, status=400)
        bruteforce.login_success_record(**pair)
        try:
            password_set(
                user=user,
                password=form.cleaned_data["password"],
                audit=Audit.of(request, door=Door.ACCOUNT, actor=user),
                keep_session_key=request.session.session_key,
            )
        except PasswordPolicyError as exc:
            for failure in exc.failures:
                form.add_error("password", failure.message)
            return self._render(request, form, status=400)
        except PasswordChangeError as exc:
            form.add_error(None, exc.message)
            return self._render(request, form, status=400)
        # This session stays signed in; every other one, and every refresh token, has ended.
        update_session_auth_hash(request, user)
        messages.success(
            request, _("Your password has been changed. Your other sessions were signed out.")
        )
        return redirect("accounts:account")

    def _render(
        self,
        request: HttpRequest,
        form: AccountPasswordForm,
        status: int = 200,
        pending: TOTPDevice | None = None,
        totp_error: str = "",
        recovery_codes: list[str] | None = None,
    ) -> HttpResponse:
        user: User = self.user
        rules = policy_rules(user.connection)
        for rule in rules:
            rule["code"] = str(rule["code"])
        sessions = UserSession.objects.filter(user=user).order_by("-last_seen_at")
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "rules": rules,
                "email": user.email,
                "why_not": password_change_allowed(user),
                "sessions": sessions,
                "current_key": request.session.session_key,
                "has_authenticator": has_authenticator(user),
                "pending": pending,
                "pending_secret": _base32(pending) if pending else "",
                "pending_qr": _qr_data_uri(pending.config_url) if pending else "",
                "totp_error": totp_error,
                "recovery_codes": recovery_codes or [],
            },
            status=status,
        )
