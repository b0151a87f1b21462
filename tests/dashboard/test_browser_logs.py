# ruff: noqa: F811 (the live server and browser fixtures are imported by name)
"""The logs page at 1366 px with real-looking rows: nothing cut off, dates on one line.

Issue 12: the Date column wrapped to three lines, Application and IP were cut off (the table
was 1371 px wide in its 1366 px window's scroll box), and the filter row wrapped.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from accounts.models import LogEvent, LogType
from tests.dashboard.test_browser import browser, live  # noqa: F401 (fixtures)
from tests.dashboard.test_browser_tour import WIDE, new_page, staff_log_in
from tests.factories import StaffFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def layout(page: Page) -> dict:
    return page.evaluate(
        """() => {
        const wrap = document.querySelector('.table-wrap');
        const table = document.querySelector('#log-table');
        const fields = [...document.querySelectorAll('form.filters .field')];
        const rows = new Set(fields.map(f => Math.round(f.getBoundingClientRect().bottom)));
        const cut = [...table.querySelectorAll('td')]
          .filter(td => td.scrollWidth > td.clientWidth + 1);
        return {
          tableWidth: table.scrollWidth, wrapWidth: wrap.clientWidth,
          pageScrolls:
            document.documentElement.scrollWidth > document.documentElement.clientWidth,
          dateLines: [...table.querySelectorAll('td.date time')]
            .map(t => t.getClientRects().length),
          filterRows: rows.size,
          cutCells: cut.map(td => td.textContent.trim()),
          columns: [...table.querySelectorAll('thead th')]
            .map(th => [th.textContent.trim(), Math.round(th.getBoundingClientRect().width)]),
        };
    }"""
    )


@pytest.mark.parametrize("locale", ["en-GB", "ja-JP"])
def test_the_logs_table_fits_1366_px_with_real_rows(live, browser, locale):
    staff = StaffFactory(email="admin@example.com")
    user = UserFactory(email="aiko.tanaka.customer-support@example.co.jp", name="Aiko Tanaka")
    for n, (kind, ip) in enumerate(
        [
            (LogType.SUCCESS_LOGIN, "2001:db8:85a3::8a2e:370:7334"),
            (LogType.FAILED_LOGIN, "203.0.113.254"),
            (LogType.SUCCESS_CHANGE_PASSWORD_REQUEST, "198.51.100.23"),
            (LogType.SUCCESS_API_OPERATION, "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"),
        ]
    ):
        LogEvent.objects.create(
            type=kind,
            user=user,
            user_name=user.email,
            actor=staff if n == 3 else None,
            client_name="Acme Customer Portal (production)",
            ip=ip,
            description="Update a user: password, blocked, app_metadata" if n == 3 else "",
        )

    with new_page(browser, viewport=WIDE, locale=locale) as page:
        staff_log_in(page, live.url, staff.email)
        page.goto(live.url + "/dashboard/logs/")
        found = layout(page)

    assert not found["pageScrolls"], found
    assert found["tableWidth"] <= found["wrapWidth"], found  # Application and IP in view
    assert set(found["dateLines"]) == {1}, found
    assert found["filterRows"] == 1, found
    assert found["cutCells"] == [], found
