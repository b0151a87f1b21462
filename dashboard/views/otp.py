"""A staff member's own TOTP second factor: set it up, and verify it once per session."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from dashboard.forms import OTPTokenForm
from dashboard.permissions import StaffView, otp_device_confirmed


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/dashboard/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return "/dashboard/"


def _qr_data_uri(text: str) -> str:
    # An image from data: is allowed by the CSP; the secret never leaves this response.
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@method_decorator(sensitive_post_parameters("token"), name="dispatch")
class OTPSetupView(StaffView):
    """Creates an unconfirmed TOTP device, shows its QR code, confirms it with a first code."""

    otp_exempt = True
    viewer_may_post = True  # every staff member manages their own second factor

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user: Any = request.user
        if user.is_authenticated and otp_device_confirmed(user) and not user.is_verified():
            # Replacing a factor needs the current one first.
            return redirect("dashboard:otp-verify")
        return super().dispatch(request, *args, **kwargs)

    def _device(self, request: HttpRequest) -> TOTPDevice:
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=request.user, name="Authenticator app", confirmed=False
            )
        return device

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, OTPTokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OTPTokenForm(request.POST)
        device = self._device(request)
        if form.is_valid() and device.verify_token(form.cleaned_data["token"].strip()):
            TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on."))
            return redirect(_next(request))
        form.add_error("token", _("That code is not right. Try the current one."))
        return self.render(request, form, status=400)

    def render(self, request: HttpRequest, form: OTPTokenForm, status: int = 200) -> HttpResponse:
        device = self._device(request)
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        return render(
            request,
            "dashboard/otp/setup.html",
            {
                "form": form,
                "qr": _qr_data_uri(device.config_url),
                "secret": secret,
                "has_factor": otp_device_confirmed(request.user),
                "next": _next(request),
                "nav": "otp",
            },
            status=status,
        )


@method_decorator(sensitive_post_parameters("token"), name="dispatch")
class OTPVerifyView(StaffView):
    otp_exempt = True
    viewer_may_post = True

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, OTPTokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OTPTokenForm(request.POST)
        if form.is_valid():
            token = form.cleaned_data["token"].strip()
            for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
                # verify_token applies django-otp's throttling and refuses replayed codes.
                if device.verify_token(token):
                    otp_login(request, device)
                    return redirect(_next(request))
        form.add_error("token", _("That code is not right."))
        return self.render(request, form, status=400)

    def render(self, request: HttpRequest, form: OTPTokenForm, status: int = 200) -> HttpResponse:
        return render(
            request,
            "dashboard/otp/verify.html",
            {"form": form, "next": _next(request), "nav": "otp"},
            status=status,
        )
