"""Connections and their password policy, with a live "try a password" box."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import Connection, PolicyLevel
from accounts.policy import PasswordRule, policy_check, policy_rules
from accounts.services import connection_policy_update
from dashboard.forms import ConnectionPolicyForm, TryPasswordForm
from dashboard.permissions import StaffView, staff_audit

PER_USER = {PasswordRule.IN_HISTORY, PasswordRule.PERSONAL_INFO}


class ConnectionListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "dashboard/connections/list.html",
            {"connections": Connection.objects.all(), "nav": "connections"},
        )


def level_rules() -> list[dict[str, Any]]:
    """Each policy level with its rules spelled out, as the policy itself words them."""
    return [
        {
            "value": value,
            "label": label,
            "rules": [r["text"] for r in policy_rules(Connection(password_policy=value))],
        }
        for value, label in PolicyLevel.choices
    ]


class ConnectionDetailView(StaffView):
    def get(self, request: HttpRequest, connection_id: str) -> HttpResponse:
        connection = get_object_or_404(Connection, id=connection_id)
        return self.render(ConnectionPolicyForm(instance=connection), connection)

    def post(self, request: HttpRequest, connection_id: str) -> HttpResponse:
        connection = get_object_or_404(Connection, id=connection_id)
        form = ConnectionPolicyForm(request.POST, instance=connection)
        if not connection.is_database or not form.is_valid():
            return self.render(form, connection, status=400)
        connection_policy_update(
            connection=connection, audit=staff_audit(request), **form.policy_fields()
        )
        messages.success(request, _("Password policy saved."))
        return redirect("dashboard:connection-detail", connection_id=connection.id)

    def render(
        self, form: ConnectionPolicyForm, connection: Connection, status: int = 200
    ) -> HttpResponse:
        can_edit = bool(getattr(self.request.user, "is_administrator", False))
        if not can_edit:
            for field in form.fields.values():
                field.disabled = True
        return render(
            self.request,
            "dashboard/connections/detail.html",
            {
                "connection": connection,
                "form": form,
                "levels": level_rules(),
                "rules": policy_rules(connection) if connection.is_database else [],
                "can_edit": can_edit,
                "nav": "connections",
            },
            status=status,
        )


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class ConnectionTryPasswordView(StaffView):
    """Checks a password against the policy as currently edited; saves nothing, logs nothing."""

    viewer_may_post = True

    def post(self, request: HttpRequest, connection_id: str) -> JsonResponse:
        saved = get_object_or_404(Connection, id=connection_id)
        draft = Connection(id=saved.id, name=saved.name, strategy=saved.strategy)
        form = TryPasswordForm(request.POST, instance=draft)
        if not form.is_valid():
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        for name, value in form.policy_fields().items():
            setattr(draft, name, value)
        password = form.cleaned_data["password"] or ""
        failures = {f.code: f.message for f in policy_check(draft, password, None)}
        rules = [
            {
                "code": str(r["code"]),
                "text": r["text"],
                # History and personal information depend on a user: unknown here.
                "ok": None if r["code"] in PER_USER else str(r["code"]) not in failures,
            }
            for r in policy_rules(draft)
        ]
        return JsonResponse({"ok": not failures, "rules": rules})
