"""Logs: a filterable table of log events, newest first, linking to users."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dashboard.forms import LogSearchForm
from dashboard.permissions import StaffView
from dashboard.selectors import BY_DATE, keyset_page, logs_search


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
