"""What the dashboard keeps of its own: hourly counts of log events for the activity home."""

from __future__ import annotations

from django.db import models

# The marker row of an hour whose counts are all stored (an hour with no event has only it).
ROLLED = ""


class ActivityHour(models.Model):
    """How many log events of one type happened in one closed hour (UTC).

    Filled lazily by ``dashboard.activity``: a closed hour never changes, so it is counted once
    from the log's (type, date) index and then read from here, which keeps the home page's cost
    independent of the size of the log.
    """

    hour = models.DateTimeField()
    type = models.CharField(max_length=16, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "type"], name="activity_hour_type"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.type or '(rolled)'}: {self.count}"
