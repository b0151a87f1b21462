"""Webhooks (endpoints, secret shown once, deliveries with retry) and log streams (attempts,
a test event, pause and resume)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboard.permissions import StaffView
from webhooks.models import (
    LogStream,
    LogStreamAttempt,
    LogStreamFormat,
    LogStreamStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from webhooks.services import (
    delivery_retry,
    endpoint_create,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
)
from webhooks.ssrf import UnsafeURL, url_check
from webhooks.streams import (
    categories,
    log_stream_create,
    log_stream_delete,
    log_stream_test,
    log_stream_update,
)


def _safe_url(url: str) -> str:
    """An outgoing URL the SSRF rule allows, or the rule's own words as the field's error."""
    try:
        url_check(url)
    except UnsafeURL as exc:
        raise forms.ValidationError(str(exc)) from exc
    return url


class EndpointForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=2000, assume_scheme="https")
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events (none ticked: every event)"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True)

    def clean_url(self) -> str:
        return _safe_url(self.cleaned_data["url"])


class WebhookListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(EndpointForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EndpointForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        endpoint, secret = endpoint_create(
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            description=form.cleaned_data["description"],
            enabled=form.cleaned_data["enabled"],
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
        # The secret is shown on this answer only: it is stored sealed and never shown again.
        return _detail(request, endpoint, new_secret=secret)

    def render(self, form: EndpointForm, status: int = 200) -> HttpResponse:
        context = {
            "endpoints": WebhookEndpoint.objects.all(),
            "form": form,
            "can_edit": bool(getattr(self.request.user, "is_administrator", False)),
            "nav": "webhooks",
        }
        return render(self.request, "dashboard/webhooks/list.html", context, status=status)


def _detail(
    request: HttpRequest,
    endpoint: WebhookEndpoint,
    *,
    form: EndpointForm | None = None,
    new_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    form = form or EndpointForm(
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "enabled": endpoint.enabled,
        }
    )
    context: dict[str, Any] = {
        "endpoint": endpoint,
        "form": form,
        "new_secret": new_secret,
        "deliveries": WebhookDelivery.objects.filter(endpoint=endpoint)[:50],
        "can_edit": bool(getattr(request.user, "is_administrator", False)),
        "now": timezone.now(),
        "nav": "webhooks",
    }
    return render(request, "dashboard/webhooks/detail.html", context, status=status)


class WebhookDetailView(StaffView):
    def get(self, request: HttpRequest, endpoint_id: str) -> HttpResponse:
        return _detail(request, get_object_or_404(WebhookEndpoint, pk=endpoint_id))

    def post(self, request: HttpRequest, endpoint_id: str) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        form = EndpointForm(request.POST)
        if not form.is_valid():
            return _detail(request, endpoint, form=form, status=400)
        endpoint_update(
            endpoint=endpoint,
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            description=form.cleaned_data["description"],
            enabled=form.cleaned_data["enabled"],
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
        messages.success(request, _("Webhook endpoint saved."))
        return redirect("dashboard:webhook-detail", endpoint_id=endpoint.pk)


class WebhookSecretRotateView(StaffView):
    def post(self, request: HttpRequest, endpoint_id: str) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        secret = endpoint_secret_rotate(
            endpoint=endpoint,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
        return _detail(request, endpoint, new_secret=secret)


class WebhookDeleteView(StaffView):
    def post(self, request: HttpRequest, endpoint_id: str) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        endpoint_delete(
            endpoint=endpoint,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
        messages.success(request, _("Webhook endpoint deleted."))
        return redirect("dashboard:webhook-list")


class WebhookDeliveryRetryView(StaffView):
    def post(self, request: HttpRequest, delivery_id: int) -> HttpResponse:
        delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
        if delivery_retry(delivery=delivery, actor=request.user):  # type: ignore[arg-type]
            messages.success(request, _("Delivery queued again."))
        else:
            messages.error(request, _("Only failed deliveries can be retried."))
        return redirect("dashboard:webhook-detail", endpoint_id=delivery.endpoint_id)


class LogStreamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    endpoint = forms.URLField(
        label=gettext_lazy("Endpoint URL"), max_length=2000, assume_scheme="https"
    )
    authorization = forms.CharField(
        label=gettext_lazy("Authorization header (kept sealed; leave empty to keep it)"),
        max_length=2000,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    content_format = forms.ChoiceField(
        label=gettext_lazy("Content format"), choices=LogStreamFormat.choices
    )
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Categories (none ticked: every event)"),
        choices=[(c, c) for c in categories()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def clean_endpoint(self) -> str:
        return _safe_url(self.cleaned_data["endpoint"])

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {
            "name": data["name"],
            "endpoint": data["endpoint"],
            "content_format": data["content_format"],
            "filters": [{"type": "category", "name": c} for c in data["categories"]],
        }
        if data["authorization"]:
            changes["authorization"] = data["authorization"]
        return changes


class LogStreamListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(LogStreamForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LogStreamForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        changes = form.changes()
        stream = log_stream_create(
            **changes,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
        messages.success(request, _("Log stream created."))
        return redirect("dashboard:log-stream-detail", stream_id=stream.pk)

    def render(self, form: LogStreamForm, status: int = 200) -> HttpResponse:
        context = {
            "streams": LogStream.objects.all(),
            "form": form,
            "can_edit": bool(getattr(self.request.user, "is_administrator", False)),
            "nav": "log-streams",
        }
        return render(self.request, "dashboard/webhooks/streams.html", context, status=status)


class LogStreamDetailView(StaffView):
    def get(self, request: HttpRequest, stream_id: str) -> HttpResponse:
        stream = get_object_or_404(LogStream, pk=stream_id)
        form = LogStreamForm(
            initial={
                "name": stream.name,
                "endpoint": stream.endpoint,
                "content_format": stream.content_format,
                "categories": [f["name"] for f in stream.filters],
            }
        )
        return self.render(stream, form)

    def post(self, request: HttpRequest, stream_id: str) -> HttpResponse:
        stream = get_object_or_404(LogStream, pk=stream_id)
        action = request.POST.get("action", "save")
        if action == "test":
            ok, error = log_stream_test(stream=stream)
            if ok:
                messages.success(request, _("Test event delivered."))
            else:
                messages.error(request, _("Test event not delivered: %(error)s") % {"error": error})
        elif action in {LogStreamStatus.ACTIVE, LogStreamStatus.PAUSED}:
            log_stream_update(
                stream=stream,
                changes={"status": action},
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
            messages.success(request, _("Log stream saved."))
        elif action == "delete":
            log_stream_delete(stream=stream, actor=request.user, request=request)  # type: ignore[arg-type]
            messages.success(request, _("Log stream deleted."))
            return redirect("dashboard:log-stream-list")
        else:
            form = LogStreamForm(request.POST)
            if not form.is_valid():
                return self.render(stream, form, status=400)
            log_stream_update(
                stream=stream,
                changes=form.changes(),
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
            messages.success(request, _("Log stream saved."))
        return redirect("dashboard:log-stream-detail", stream_id=stream.pk)

    def render(self, stream: LogStream, form: LogStreamForm, status: int = 200) -> HttpResponse:
        context = {
            "stream": stream,
            "form": form,
            "attempts": LogStreamAttempt.objects.filter(stream=stream)[:50],
            "can_edit": bool(getattr(self.request.user, "is_administrator", False)),
            "nav": "log-streams",
        }
        return render(self.request, "dashboard/webhooks/stream_detail.html", context, status=status)
