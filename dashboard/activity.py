"""The activity home's numbers, cheap at ten million log events and a million users.

Closed hours are counted once from the log's ``(type, date)`` index and kept in
``ActivityHour``; a page then reads at most 30 days x 24 hours of those rows plus the current
hour, counted live. Filling missing hours is a cache fill (it changes no business state), done
by whichever page view finds them missing, in one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import LogEvent, LogType
from accounts.selectors import tenant_users
from dashboard.models import ROLLED, ActivityHour
from emails.models import EmailDelivery

DAYS = 30

# What the home charts, in this order: (log types counted together, title, is a failure).
SERIES = [
    ("requests", [LogType.SUCCESS_CHANGE_PASSWORD_REQUEST], _("Reset requests"), False),
    ("changes", [LogType.SUCCESS_CHANGE_PASSWORD], _("Completed password changes"), False),
    ("failed_changes", [LogType.FAILED_CHANGE_PASSWORD], _("Failed password changes"), True),
    ("logins", [LogType.SUCCESS_LOGIN], _("Logins"), False),
    ("failed_logins", [LogType.FAILED_LOGIN], _("Failed logins"), True),
    ("blocks", [LogType.LIMIT_MU, LogType.API_LIMIT], _("Brute-force and rate-limit blocks"), True),
]
TYPES = sorted({str(t) for _key, types, _title, _bad in SERIES for t in types})


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    failure: bool
    hourly: list[tuple[datetime, int]]  # the last 24 hours, oldest first
    daily: list[tuple[datetime, int]]  # the last 30 days, oldest first

    @property
    def last_24h(self) -> int:
        return sum(n for _h, n in self.hourly)

    @property
    def last_30d(self) -> int:
        return sum(n for _d, n in self.daily)


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def activity_rollup(*, until: datetime) -> int:
    """Store the counts of every closed hour of the window not stored yet; returns how many."""
    start = until - timedelta(days=DAYS)
    rolled = set(
        ActivityHour.objects.filter(type=ROLLED, hour__gte=start, hour__lt=until).values_list(
            "hour", flat=True
        )
    )
    missing = []
    hour = start
    while hour < until:
        if hour not in rolled:
            missing.append(hour)
        hour += timedelta(hours=1)
    if not missing:
        return 0
    counts = (
        LogEvent.objects.filter(type__in=TYPES, date__gte=missing[0], date__lt=until)
        .annotate(hour=TruncHour("date", tzinfo=UTC))
        .values("hour", "type")
        .annotate(n=Count("id"))
        .order_by()
    )
    wanted = set(missing)
    rows = [
        ActivityHour(hour=row["hour"], type=row["type"], count=row["n"])
        for row in counts
        if row["hour"] in wanted
    ]
    rows += [ActivityHour(hour=h, type=ROLLED) for h in missing]
    # Two views filling at once store the same numbers: the second one's rows are ignored.
    ActivityHour.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(missing)


def activity_series(*, now: datetime | None = None) -> list[Series]:
    """Each charted series per hour (last 24 hours) and per day (last 30 days)."""
    now = now or timezone.now()
    current = _hour(now)
    activity_rollup(until=current)
    start = current - timedelta(days=DAYS) + timedelta(hours=1)
    per_hour: dict[tuple[datetime, str], int] = {}
    for hour, type_, count in (
        ActivityHour.objects.filter(hour__gte=start)
        .exclude(type=ROLLED)
        .values_list("hour", "type", "count")
    ):
        per_hour[(_hour(hour), type_)] = count
    for row in (
        LogEvent.objects.filter(type__in=TYPES, date__gte=current)
        .values("type")
        .annotate(n=Count("id"))
        .order_by()
    ):
        per_hour[(current, row["type"])] = row["n"]

    hours = [current - timedelta(hours=i) for i in range(23, -1, -1)]
    first_day = current.replace(hour=0) - timedelta(days=DAYS - 1)
    days = [first_day + timedelta(days=i) for i in range(DAYS)]
    result = []
    for key, types, title, failure in SERIES:
        codes = [str(t) for t in types]

        def at(hour: datetime, codes: list[str] = codes) -> int:
            return sum(per_hour.get((hour, code), 0) for code in codes)

        daily_totals = dict.fromkeys(days, 0)
        for (hour, code), count in per_hour.items():
            if code in codes:
                day = hour.replace(hour=0)
                if day in daily_totals:
                    daily_totals[day] += count
        result.append(
            Series(
                key=key,
                title=str(title),
                failure=failure,
                hourly=[(h, at(h)) for h in hours],
                daily=list(daily_totals.items()),
            )
        )
    return result


def delivery_counts(*, now: datetime | None = None) -> list[tuple[str, str, int]]:
    """Email deliveries of the last 30 days by status: (status, label, count)."""
    now = now or timezone.now()
    field = EmailDelivery._meta.get_field("status")
    labels = dict(field.choices or [])
    counts = dict(
        EmailDelivery.objects.filter(created_at__gte=now - timedelta(days=DAYS))
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    return [(status, str(label), counts.get(status, 0)) for status, label in labels.items()]


def blocked_users_count() -> int:
    """Tenant users an administrator has blocked (a partial index answers it)."""
    return tenant_users().filter(blocked=True).count()
