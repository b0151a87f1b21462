"""The log table: filters by type, user and date; actors shown; rows link to users."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.events import log_event
from accounts.models import LogEvent, LogType
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rows(response) -> list[tuple[str, str]]:
    return [(e.type, e.user_name) for e in response.context["page"].items]


def test_filter_by_type(staff_client, user):
    log_event(type=LogType.SUCCESS_LOGIN, user=user)
    log_event(type=LogType.FAILED_LOGIN, user=user)

    response = staff_client.get("/dashboard/logs/", {"type": "f"})

    assert rows(response) == [("f", user.email)]


def test_filter_by_user_email_or_user_id(staff_client, user, connection):
    other = UserFactory(connection=connection)
    log_event(type=LogType.SUCCESS_LOGIN, user=user)
    log_event(type=LogType.SUCCESS_LOGIN, user=other)

    by_email = staff_client.get("/dashboard/logs/", {"user": user.email.upper()})
    by_id = staff_client.get("/dashboard/logs/", {"user": other.user_id})

    assert rows(by_email) == [("s", user.email)]
    assert rows(by_id) == [("s", other.email)]


def test_filter_by_date_range_includes_the_whole_last_day(staff_client, user):
    for day in (1, 2, 3):
        LogEvent.objects.create(
            type=LogType.SUCCESS_LOGIN,
            user=user,
            user_name=user.email,
            date=timezone.make_aware(datetime(2026, 3, day, 23, 30)),
        )

    response = staff_client.get(
        "/dashboard/logs/", {"date_from": "2026-03-02", "date_to": "2026-03-02"}
    )

    assert [e.date.day for e in response.context["page"].items] == [2]


def test_actions_show_the_acting_staff_member_and_link_to_the_user(
    staff_client, administrator, user
):
    log_event(type=LogType.FORCED_SIGN_IN, user=user, actor=administrator, details={"reason": "x"})

    html = staff_client.get("/dashboard/logs/").content.decode()

    assert reverse("dashboard:user-detail", args=[user.user_id]) in html
    # The acting staff member's email, in its cell (which may wrap it after "@" and dots).
    actor = re.search(r'<td class="actor">(.*?)</td>', html)
    assert actor and re.sub(r"<[^>]+>", "", actor.group(1)) == administrator.email


def test_newest_first_with_keyset_pages(staff_client, user):
    now = timezone.now()
    for i in range(60):
        LogEvent.objects.create(
            type=LogType.SUCCESS_LOGIN, user=user, date=now - timedelta(minutes=i)
        )

    first = staff_client.get("/dashboard/logs/")
    second = staff_client.get("/dashboard/logs/", {"cursor": first.context["page"].next_cursor})

    dates = [e.date for e in first.context["page"].items + second.context["page"].items]
    assert len(dates) == 60
    assert dates == sorted(dates, reverse=True)
    assert second.context["page"].next_cursor is None


def test_each_event_has_a_detail_page_with_every_field(staff_client):
    user = UserFactory(email="detail@example.com")
    log_event(
        type=LogType.FAILED_LOGIN,
        description="Wrong email or password.",
        user=user,
        user_name="Detail@Example.com",
        connection_name=user.connection.name,
        details={"reason": "typo"},
    )
    event = LogEvent.objects.get(user=user)

    listing = staff_client.get(reverse("dashboard:log-list")).content.decode()
    page = staff_client.get(reverse("dashboard:log-detail", args=[event.log_id]))

    assert f'href="/dashboard/logs/{event.log_id}/"' in listing
    html = page.content.decode()
    assert page.status_code == 200
    for text in [event.log_id, "Failed Login", "detail@example.com", user.user_id, "typo"]:
        assert text in html
    assert staff_client.get(reverse("dashboard:log-detail", args=["nope"])).status_code == 404
