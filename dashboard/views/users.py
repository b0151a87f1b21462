"""Users: the searchable list and a user's page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy

from accounts.bruteforce import login_blocks_of_user
from accounts.models import LogEvent, LogType, User
from accounts.policy import policy_rules
from accounts.selectors import SUBSTRING_MIN, tenant_users, users_count, users_search
from accounts.services import password_change_allowed
from dashboard import related
from dashboard.activity import activity_series, blocked_users_count, delivery_counts
from dashboard.forms import UserSearchForm
from dashboard.permissions import StaffView
from dashboard.selectors import users_page

# Where a password change came from (accounts.services.Door), as the user page says it.
DOOR_LABELS = {
    "reset": gettext_lazy("the reset page (a link from an email or staff)"),
    "api": gettext_lazy("the Management API"),
    "dashboard": gettext_lazy("the dashboard's Danger Zone"),
    "account": gettext_lazy("their own account page"),
    "command": gettext_lazy("a manage.py command"),
    "import": gettext_lazy("an import"),
}
USUAL_SORT = {"email": "email", "created": "-created"}


class HomeView(StaffView):
    """The activity home: resets, changes, logins, deliveries and blocks, as charts."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {
            "series": activity_series(),
            "deliveries": delivery_counts(),
            "blocked_users": blocked_users_count(),
            "nav": "home",
        }
        return render(request, "dashboard/home.html", context)


class UserListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = UserSearchForm(request.GET)
        data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
        search = users_search(
            q=data.get("q", ""),
            connection_id=data.get("connection", ""),
            blocked=data.get("blocked", ""),
            sort=data.get("sort", ""),
        )
        page = users_page(search, data.get("cursor", ""))
        total, more = users_count(search)
        params = request.GET.copy()
        params.pop("cursor", None)
        sort_links = {}
        for column in ("email", "created"):
            # A click on the current column flips it; on another one starts at its usual way.
            flipped = column if search.sort == "-" + column else "-" + column
            target = flipped if search.sort.lstrip("-") == column else USUAL_SORT[column]
            link = params.copy()
            link["sort"] = target
            sort_links[column] = {
                "url": "?" + link.urlencode(),
                "aria": (
                    ("descending" if search.sort.startswith("-") else "ascending")
                    if search.sort.lstrip("-") == column
                    else ""
                ),
            }
        return render(
            request,
            "dashboard/users/list.html",
            {
                "form": form,
                "page": page,
                "params": params,
                "search": search,
                "total": total,
                "total_more": more,
                "sort_links": sort_links,
                "substring_min": SUBSTRING_MIN,
                "nav": "users",
            },
        )


def user_get(user_id: str) -> User:
    """A tenant's user; staff are on the Staff pages, never in the users' Danger Zone."""
    return get_object_or_404(tenant_users(), user_id=user_id)


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
            login_blocks=list(login_blocks_of_user(user=target)),
            deliveries=related.deliveries_for(target),
            rules=policy_rules(target.connection) if target.connection.is_database else [],
            last_change=LogEvent.objects.filter(user=target, type=LogType.SUCCESS_CHANGE_PASSWORD)
            .select_related("actor")
            .order_by("-date")
            .first(),
            doors=DOOR_LABELS,
        )
        if context["can_act"]:
            # Imported here: the action views build on this module's helpers.
            from dashboard.views.danger import danger_dialogs

            context["dialogs"] = danger_dialogs(request, target)
        return render(request, "dashboard/users/detail.html", context)
