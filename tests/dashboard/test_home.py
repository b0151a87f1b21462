"""The activity home: counts from the log, stored once per closed hour, charted as SVG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LogEvent, LogType
from dashboard.activity import activity_series
from dashboard.models import ActivityHour
from emails.models import DeliveryStatus, EmailDelivery
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


def events(type_: str, at: datetime, n: int = 1) -> None:
    LogEvent.objects.bulk_create([LogEvent(type=type_, date=at) for _ in range(n)])


def series(key: str, now: datetime = NOW):
    return next(s for s in activity_series(now=now) if s.key == key)


def test_the_dashboard_opens_on_the_activity_home(staff_client):
    response = staff_client.get("/dashboard/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Activity</h1>" in html
    assert html.count('<svg class="chart') == 12
    assert 'aria-current="page">Activity</a>' in html


def test_events_are_counted_per_hour_and_per_day(db):
    events(LogType.SUCCESS_LOGIN, NOW - timedelta(minutes=5), 3)  # the current hour
    events(LogType.SUCCESS_LOGIN, NOW - timedelta(hours=2), 2)
    events(LogType.SUCCESS_LOGIN, NOW - timedelta(days=3), 4)
    events(LogType.FAILED_LOGIN, NOW - timedelta(hours=1), 1)

    logins = series("logins")

    assert [n for _h, n in logins.hourly][-3:] == [2, 0, 3]
    assert logins.last_24h == 5
    assert logins.last_30d == 9
    assert series("failed_logins").last_24h == 1


def test_a_closed_hour_is_counted_once_then_read_from_the_rollup(db):
    events(LogType.SUCCESS_CHANGE_PASSWORD, NOW - timedelta(hours=3), 2)
    series("changes")
    # A late row in a closed hour is not counted again: the hour is stored.
    events(LogType.SUCCESS_CHANGE_PASSWORD, NOW - timedelta(hours=3), 5)

    with CaptureQueriesContext(connection) as queries:
        changes = series("changes")

    assert changes.last_24h == 2
    assert ActivityHour.objects.filter(type="").count() == 30 * 24
    # Stored hours, the current hour live, the rollup check: a handful of queries.
    assert len(queries) <= 4


def test_the_next_hour_adds_only_the_hour_that_closed(db):
    series("logins")
    events(LogType.SUCCESS_LOGIN, NOW + timedelta(minutes=10), 1)

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        logins = series("logins", now=NOW + timedelta(hours=1))

    assert ActivityHour.objects.filter(type="").count() == 30 * 24 + 1
    assert logins.hourly[-2][1] == 1


def test_deliveries_by_status_and_blocked_users_are_shown(staff_client):
    user = UserFactory(blocked=True)
    EmailDelivery.objects.create(
        user=user, to=user.email, subject="s", status=DeliveryStatus.FAILED
    )

    html = staff_client.get("/dashboard/").content.decode()

    assert '<span class="tile-n" id="blocked-users">1</span>' in html
    assert 'class="tile tile-bad"><a href="/dashboard/emails/deliveries/?status=failed">' in html
