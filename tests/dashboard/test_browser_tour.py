# ruff: noqa: F811 (the live server and browser fixtures are imported by name)
"""The README tour as written, in headless Chromium, and what issue 12 asked of every page:
no serious accessibility violation and no sideways scrolling at 1366 and 390 px, in English
and Japanese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.audit import Audit, Door
from accounts.models import LogEvent, LogType
from emails.models import InboxMessage
from tests.dashboard.test_browser import (  # noqa: F401 (fixtures)
    browser,
    live,
    serious,
)
from tests.emails.worker import run_worker
from tests.factories import (
    DEFAULT_PASSWORD,
    ApplicationFactory,
    StaffFactory,
    UserFactory,
)
from tickets.services import ticket_issue

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

STRONG = "Sunny-Harbour-73"
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextmanager
def new_page(browser: Browser, locale: str = "en-GB", **options) -> Iterator[Page]:
    """A page in a fresh context (its own cookies) that fails the test on any CSP violation."""
    context = browser.new_context(locale=locale, **options)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    try:
        yield page
    finally:
        context.close()
    assert violations == []


def staff_log_in(page: Page, base: str, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto(base + "/dashboard/")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("button[type=submit].primary").click()


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_readme_tour_as_written(live, browser):
    StaffFactory(email="admin@example.com")
    user = UserFactory(email="user@example.com", name="Demo User")

    with new_page(browser, viewport=WIDE) as page, new_page(browser) as end_user:
        # 1. Open the dashboard: sent to the staff login; sign in.
        staff_log_in(page, live.url, "admin@example.com")
        expect(page.locator("#staff-email")).to_have_text("admin@example.com")
        # It opens on Activity, with its charts.
        expect(page.get_by_role("heading", name="Activity", exact=True)).to_be_visible()
        expect(page.locator("#chart-logins svg")).to_have_count(2)

        # 2. Users: search, open the user, the Danger Zone.
        page.get_by_role("link", name="Users", exact=True).click()
        page.get_by_label("Search").fill("user@example.com")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="user@example.com").click()
        zone = page.locator("#danger-zone")
        expect(zone.get_by_role("heading", name="Danger Zone")).to_be_visible()

        # Change Password: Change -> a new password twice -> Save, in a dialog.
        zone.locator("#danger-password").get_by_role("link", name="Change").click()
        dialog = page.get_by_role("dialog", name="Change password")
        controls = dialog.locator("input:not([type=hidden]), textarea, button")
        names = [
            controls.nth(i).get_attribute("name") or controls.nth(i).inner_text()
            for i in range(controls.count())
        ]
        # The action's own fields, the reason, your password (when due), then the buttons.
        assert names[0] == "new_password1" and "reason" in names
        assert names.index("reason") < names.index("current_password") < names.index("Save")
        dialog.get_by_label("New password", exact=True).fill("short")
        dialog.get_by_label("Confirm new password").fill("short")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.get_by_text("Password too weak")).to_be_visible()
        expect(dialog.locator('li[data-code="password_too_short"]')).to_have_class("bad")
        dialog.get_by_label("New password", exact=True).fill(STRONG)
        dialog.get_by_label("Confirm new password").fill(STRONG)
        dialog.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Password changed")

        # Send password reset email: Send email -> Send email.
        zone.locator("#danger-reset-email").get_by_role("link", name="Send email").click()
        page.get_by_role("dialog", name="Send password reset email").get_by_role(
            "button", name="Send email"
        ).click()
        expect(page.locator(".messages")).to_contain_text("Password reset email queued")

        # 3. Inbox: open the reset email and follow its link.
        run_worker()
        page.get_by_role("link", name="Inbox").click()
        page.get_by_role("link", name="Reset your password").first.click()
        link = page.locator("#message-text a[href*='/u/reset-password']").first.get_attribute(
            "href"
        )
        assert link
        end_user.goto(link)
        expect(end_user).to_have_url(live.url + "/u/reset-password/set")
        end_user.get_by_label("New password", exact=True).fill("Another-Harbour-84")
        end_user.get_by_label("Confirm new password").fill("Another-Harbour-84")
        end_user.get_by_role("button", name="Reset password").click()
        expect(end_user.get_by_role("heading", name="Password changed")).to_be_visible()

        # 4. The old link no longer works; Logs shows scpr, scp and the staff member.
        end_user.goto(link)
        expect(end_user.get_by_role("alert")).to_contain_text("already been used")
        page.get_by_role("link", name="Logs").click()
        page.get_by_label("User (email or user_id)").fill(user.email)
        page.get_by_role("button", name="Filter").click()
        table = page.locator("#log-table")
        expect(table).to_contain_text("scpr")
        expect(table.locator("td.actor").filter(has_text="admin@example.com").first).to_be_visible()
        page.locator("#log-table td.date a").first.click()
        expect(page.locator("#event-fields")).to_contain_text(user.user_id)

    assert LogEvent.objects.filter(user=user, type=LogType.SUCCESS_CHANGE_PASSWORD).count() == 2
    assert InboxMessage.objects.filter(to=user.email).exists()


def test_blocked_user_is_told_whom_to_contact_after_the_right_password(live, browser, settings):
    settings.REKEY_SUPPORT_EMAIL = "help@example.com"
    user = UserFactory(email="held@example.com", blocked=True)

    with new_page(browser) as page:
        page.goto(live.url + "/u/login")
        page.get_by_label("Email address").fill(user.email)
        page.locator("input[name=password]").fill("Not-The-Password-1")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")

        page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="This account is blocked")).to_be_visible()
        expect(page.get_by_role("link", name="help@example.com")).to_be_visible()


def test_a_signed_in_end_user_at_the_dashboard_is_told_it_has_no_access(live, browser):
    user = UserFactory(email="enduser@example.com")

    with new_page(browser) as page:
        page.goto(live.url + "/u/login")
        page.get_by_label("Email address").fill(user.email)
        page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.goto(live.url + "/dashboard/")
        expect(page.get_by_role("heading", name="no dashboard access")).to_be_visible()
        page.get_by_role("button", name="Log out and sign in as staff").click()
        expect(page).to_have_url(re.compile(r"/dashboard/login"))


def test_show_password_toggles_and_the_language_switch_on_the_hosted_login(live, browser):
    with new_page(browser) as page:
        page.goto(live.url + "/u/login")
        password = page.locator("input[name=password]")
        page.get_by_role("button", name="Show").click()
        expect(password).to_have_attribute("type", "text")
        page.get_by_role("button", name="Hide").click()
        expect(password).to_have_attribute("type", "password")

        page.get_by_role("link", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.get_by_role("button", name="表示")).to_be_visible()


def dashboard_pages(user, application, event) -> list[str]:
    uid = user.user_id.replace("|", "%7C")
    return [
        "/dashboard/",
        "/dashboard/users/",
        "/dashboard/users/?q=example",
        f"/dashboard/users/{uid}/",
        f"/dashboard/users/{uid}/password",
        f"/dashboard/users/{uid}/block",
        "/dashboard/staff/",
        "/dashboard/account/password",
        "/dashboard/connections/",
        f"/dashboard/connections/{user.connection_id}/",
        "/dashboard/applications/",
        "/dashboard/applications/new/",
        f"/dashboard/applications/{application.client_id}/",
        "/dashboard/emails/templates/",
        "/dashboard/emails/templates/reset_email/en/",
        "/dashboard/emails/deliveries/",
        "/dashboard/emails/inbox/",
        "/dashboard/logs/",
        f"/dashboard/logs/{event.log_id}/",
        "/dashboard/otp/setup",
    ]


HOSTED_PAGES = [
    "/u/login",
    "/u/reset-password/request",
    "/dashboard/login",
    "/u/logout",
]


@pytest.mark.parametrize("locale", ["en-GB", "ja-JP"])
@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366", "390"])
def test_every_page_is_accessible_and_never_scrolls_sideways(live, browser, viewport, locale):
    staff = StaffFactory(email="admin@example.com")
    user = UserFactory(email="a.very.long.address.for.wrapping@subdomain.example.com")
    application = ApplicationFactory()
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    event = LogEvent.objects.create(type=LogType.SUCCESS_LOGIN, user=user, user_name=user.email)

    problems: dict[str, list[str]] = {}

    def check(page: Page, path: str) -> None:
        expect(page.locator("h1").first).to_be_visible()
        found = serious(page)
        if not no_sideways_scroll(page):
            found.append("scrolls sideways")
        if found:
            problems[path] = found

    with new_page(browser, viewport=viewport, locale=locale) as page:
        for path in HOSTED_PAGES:
            page.goto(live.url + path)
            check(page, path)
        page.goto(live.url + "/u/reset-password/request")
        page.locator("input[name=email]").fill("someone@example.com")
        page.locator("button[type=submit]").click()
        check(page, "/u/reset-password/request (done)")
        page.goto(f"{live.url}/u/reset-password?ticket={token}")
        check(page, "/u/reset-password/set")
        page.locator("input[name=password]").fill("short")
        page.locator("input[name=password2]").fill("short")
        page.locator("#reset-form button[type=submit]").click()
        check(page, "/u/reset-password/set (refused)")
        page.goto(live.url + "/u/reset-password?ticket=nonsense")
        check(page, "/u/reset-password (invalid)")

    with new_page(browser, viewport=viewport, locale=locale) as page:
        staff_log_in(page, live.url, staff.email)
        for path in dashboard_pages(user, application, event):
            page.goto(live.url + path)
            check(page, path)
            if viewport is PHONE:
                current = page.locator('.sidenav a[aria-current="page"]')
                if current.count():
                    expect(current).to_be_in_viewport()
        # The Danger Zone's dialog, open.
        page.goto(f"{live.url}/dashboard/users/{user.user_id.replace('|', '%7C')}/")
        page.locator("#danger-block a").click()
        check(page, "dialog: block")

    assert problems == {}


def test_phone_layout_has_no_blank_band_under_the_tab_bar(live, browser):
    staff = StaffFactory(email="admin@example.com")

    with new_page(browser, viewport=PHONE) as page:
        staff_log_in(page, live.url, staff.email)
        page.goto(live.url + "/dashboard/emails/inbox/")
        gap = page.evaluate(
            """() => document.querySelector("main").getBoundingClientRect().top
                   - document.querySelector(".sidenav").getBoundingClientRect().bottom"""
        )
        assert gap < 2


def test_forgot_page_carries_the_email_and_offers_resend_after_a_wait(live, browser):
    UserFactory(email="carried@example.com")
    with new_page(browser) as page:
        page.clock.install()
        page.goto(live.url + "/u/login")
        page.get_by_label("Email address").fill("Carried@Example.com")
        page.get_by_role("link", name="Don't remember your password?").click()
        expect(page.get_by_label("Email address")).to_have_value("Carried@Example.com")
        page.get_by_role("button", name="Send me a reset link").click()
        expect(page.locator("#sent-to")).to_contain_text("Carried@Example.com")
        resend = page.get_by_role("button", name="Resend the email")
        expect(resend).to_be_hidden()
        page.clock.run_for(31_000)
        expect(resend).to_be_visible()
        # A refresh shows the confirmation again; it does not post the form again.
        page.reload()
        expect(page.locator("#sent-to")).to_contain_text("Carried@Example.com")


def test_screenshots_of_the_home_page_and_the_danger_zone(live, browser, tmp_path):
    """Also how docs/home.png and docs/danger-zone.png are made: REKEY_SCREENSHOTS=docs."""
    import os
    from datetime import timedelta
    from pathlib import Path

    from django.utils import timezone

    out = Path(os.environ.get("REKEY_SCREENSHOTS") or tmp_path)
    out.mkdir(exist_ok=True)
    StaffFactory(email="admin@example.com")
    user = UserFactory(email="user@example.com", name="Demo User")
    now = timezone.now()
    rows = []
    for hour in range(0, 24 * 30, 3):
        for type_, n in ((LogType.SUCCESS_LOGIN, 3 + hour % 7), (LogType.FAILED_LOGIN, hour % 3)):
            rows += [LogEvent(type=type_, date=now - timedelta(hours=hour)) for _ in range(n)]
        if hour % 12 == 0:
            rows.append(
                LogEvent(
                    type=LogType.SUCCESS_CHANGE_PASSWORD_REQUEST, date=now - timedelta(hours=hour)
                )
            )
            rows.append(
                LogEvent(type=LogType.SUCCESS_CHANGE_PASSWORD, date=now - timedelta(hours=hour + 1))
            )
    LogEvent.objects.bulk_create(rows)

    with new_page(browser, viewport={"width": 1100, "height": 760}) as page:
        staff_log_in(page, live.url, "admin@example.com")
        expect(page.get_by_role("heading", name="Activity", exact=True)).to_be_visible()
        page.screenshot(path=str(out / "home.png"))
        page.goto(f"{live.url}/dashboard/users/{user.user_id.replace('|', '%7C')}/")
        page.locator("#danger-password a").click()
        dialog = page.get_by_role("dialog", name="Change password")
        dialog.get_by_label("New password", exact=True).fill("short")
        dialog.get_by_label("Confirm new password").fill("short")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.get_by_text("Password too weak")).to_be_visible()
        page.screenshot(path=str(out / "danger-zone.png"))

    for name in ("home.png", "danger-zone.png"):
        assert (out / name).stat().st_size < 250_000


def test_the_reset_page_shows_a_local_strength_meter_as_advice(live, browser):
    user = UserFactory(email="meter@example.com")
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    with new_page(browser) as page:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{live.url}/u/reset-password?ticket={token}")
        meter = page.locator("#password-strength")
        expect(meter).to_be_hidden()
        page.get_by_label("New password", exact=True).fill("password1")
        expect(meter).to_have_attribute("data-score", re.compile("[01]"))
        page.get_by_label("New password", exact=True).fill("Quiet-Lantern-Orbit-58")
        expect(meter).to_have_attribute("data-score", re.compile("[34]"))
        expect(meter).to_contain_text("advice only")

    assert all(url.startswith(live.url) for url in requests)  # no CDN
