"""Users: the searchable list and a user's page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import LogEvent, User
from accounts.policy import policy_rules
from accounts.services import password_change_allowed
from dashboard import related
from dashboard.forms import UserSearchForm
from dashboard.permissions import StaffView
from dashboard.selectors import keyset_page, users_search


class HomeView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return redirect("dashboard:user-list")


class UserListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = UserSearchForm(request.GET)
        data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
        qs, ordering = users_search(
            q=data.get("q", ""),
            connection_id=data.get("connection", ""),
            blocked=data.get("blocked", ""),
        )
        page = keyset_page(qs, ordering, data.get("cursor", ""))
        params = request.GET.copy()
        params.pop("cursor", None)
        return render(
            request,
            "dashboard/users/list.html",
            {"form": form, "page": page, "params": params, "nav": "users"},
        )


def user_get(user_id: str) -> User:
    return get_object_or_404(User.objects.select_related("connection"), user_id=user_id)


def danger_context(request: HttpRequest, target: User) -> dict[str, Any]:
    """What the Danger Zone shows, for the user's page and each action page."""
    return {
        "target": target,
        "can_act": bool(getattr(request.user, "is_administrator", False)),
        "password_unsupported": password_change_allowed(target),
        "direct_set_enabled": settings.REKEY_ALLOW_DIRECT_PASSWORD_SET,
        "nav": "users",
    }


class UserDetailView(StaffView):
    def get(self, request: HttpRequest, user_id: str) -> HttpResponse:
        target = user_get(user_id)
        context = danger_context(request, target)
        context.update(
            sessions=list(target.sessions.order_by("-created_at")[:20]),
            events=list(
                LogEvent.objects.filter(user=target).select_related("actor").order_by("-date")[:20]
            ),
            tickets=related.tickets_for(target),
            deliveries=related.deliveries_for(target),
            rules=policy_rules(target.connection) if target.connection.is_database else [],
        )
        return render(request, "dashboard/users/detail.html", context)
