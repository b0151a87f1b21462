"""Logs: a filterable table of log events, newest first, linking to users."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.models import LogEvent
from accounts.selectors import logs_search
from dashboard.forms import LogSearchForm
from dashboard.permissions import StaffView
from dashboard.selectors import BY_DATE, keyset_page


def _day_start(day: Any) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


class LogListView(StaffView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = LogSearchForm(request.GET)
        data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
        date_to = _day_start(data.get("date_to"))
        qs = logs_search(
            type=data.get("type", ""),
            user=data.get("user", ""),
            date_from=_day_start(data.get("date_from")),
            date_to=date_to + timedelta(days=1) if date_to else None,
        )
        page = keyset_page(qs, BY_DATE, data.get("cursor", ""))
        params = request.GET.copy()
        params.pop("cursor", None)
        return render(
            request,
            "dashboard/logs.html",
            {"form": form, "page": page, "params": params, "nav": "logs"},
        )


class LogDetailView(StaffView):
    """One log event with every field it has, as Auth0's log detail shows."""

    def get(self, request: HttpRequest, log_id: str) -> HttpResponse:
        event = get_object_or_404(LogEvent.objects.select_related("user", "actor"), log_id=log_id)
        details = json.dumps(event.details, indent=2, ensure_ascii=False, sort_keys=True)
        return render(
            request,
            "dashboard/log_detail.html",
            {"event": event, "details": details, "nav": "logs"},
        )
