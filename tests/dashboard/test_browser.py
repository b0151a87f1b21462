"""The dashboard in headless Chromium against a live server: the flows staff really click."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.models import LogEvent, LogType
from emails.models import InboxMessage
from tests.emails.worker import run_worker
from tests.factories import DEFAULT_PASSWORD, ApplicationFactory, StaffFactory, UserFactory

# serialized_rollback: the default email templates come from a data migration, which a
# transactional test's flush would otherwise remove for the tests after it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WEAK = "short"
STRONG = "Sunny-Harbour-73"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live(live_server, settings, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls between browser
    # steps are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_URL = live_server.url
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}
    return live_server


@pytest.fixture
def browser(chromium_path) -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def new_page(browser: Browser, **options) -> Iterator[Page]:
    """A page in a fresh context (its own cookies) that fails the test on any CSP violation."""
    context = browser.new_context(locale="en-GB", **options)
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


def log_in(page: Page, base: str, email: str, password: str, start: str = "/dashboard/") -> None:
    page.goto(base + start)
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next="))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def open_user(page: Page, search: str, email: str) -> None:
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_label("Search").fill(search)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=email).click()
    expect(page.locator("#user-email")).to_have_text(email)


def test_administrator_finds_a_user_and_changes_the_password_in_the_danger_zone(live, browser):
    staff = StaffFactory(email="admin@example.com")
    user = UserFactory(email="kenji.sato@example.com", name="Kenji Sato")

    with new_page(browser) as end_user, new_page(browser) as page:
        # The end user is signed in somewhere else.
        end_user.goto(live.url + "/u/login")
        end_user.get_by_label("Email address").fill(user.email)
        end_user.get_by_label("Password").fill(DEFAULT_PASSWORD)
        end_user.get_by_role("button", name="Continue").click()
        expect(end_user.locator("#logged-in-as")).to_contain_text(user.email)

        log_in(page, live.url, staff.email, DEFAULT_PASSWORD)
        expect(page).to_have_url(live.url + "/dashboard/")
        open_user(page, "kenji", user.email)

        zone = page.locator("#danger-zone")
        expect(zone).to_be_visible()
        zone.locator("#danger-password").get_by_role("link", name="Change").click()
        # The action opens in place, in a dialog: no page of its own, no checkbox to tick.
        dialog = page.get_by_role("dialog", name="Change password")
        expect(dialog).to_be_visible()
        expect(page).to_have_url(re.compile(r"/dashboard/users/[^/]+/$"))
        rule = dialog.locator('#password-rules-list li[data-code="password_too_short"]')
        expect(rule).to_have_text("At least 8 characters.")

        dialog.get_by_label("New password", exact=True).fill(WEAK)
        expect(rule).to_have_class(re.compile(r"\bbad\b"))
        dialog.get_by_label("Confirm new password").fill(WEAK)
        dialog.get_by_label("Reason").fill("Verified by phone")
        dialog.get_by_role("button", name="Save").click()
        # Refused: one heading, the failed rules marked in the checklist, everything typed kept.
        errors = dialog.locator("#id_password_new_password1_errors")
        expect(errors).to_have_text("Password too weak: the rules it breaks are marked ✗ below.")
        expect(
            dialog.locator('#password-rules-list li[data-code="password_character_classes"]')
        ).to_have_class(re.compile(r"\bbad\b"))
        expect(dialog.get_by_label("New password", exact=True)).to_have_value(WEAK)
        expect(dialog.get_by_label("Confirm new password")).to_have_value(WEAK)
        expect(dialog.get_by_label("Reason")).to_have_value("Verified by phone")

        dialog.get_by_label("New password", exact=True).fill(STRONG)
        # Typing clears the server's verdict; the checklist speaks for the new password.
        expect(errors).to_be_hidden()
        expect(rule).to_have_class(re.compile(r"\bok\b"))
        dialog.get_by_role("button", name="Show").first.click()
        expect(dialog.get_by_label("New password", exact=True)).to_have_attribute("type", "text")
        dialog.get_by_label("Confirm new password").fill(STRONG)
        dialog.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Password changed")
        expect(page.locator("#no-sessions")).to_be_visible()

        # The end user's existing session is over...
        end_user.reload()
        expect(end_user).to_have_url(re.compile(r"/u/login$"))
        # ...and the new password logs in.
        end_user.get_by_label("Email address").fill(user.email)
        end_user.get_by_label("Password").fill(STRONG)
        end_user.get_by_role("button", name="Continue").click()
        expect(end_user.locator("#logged-in-as")).to_contain_text(user.email)


def test_viewer_sees_the_danger_zone_disabled_and_a_forged_post_is_refused(live, browser):
    viewer = StaffFactory(email="viewer@example.com", staff_role="viewer")
    user = UserFactory(email="target@example.com")

    with new_page(browser) as page:
        log_in(page, live.url, viewer.email, DEFAULT_PASSWORD)
        expect(page.locator("#staff-role")).to_have_text("Viewer")
        open_user(page, "target@", user.email)

        zone = page.locator("#danger-zone")
        expect(zone.locator("#danger-viewer-note")).to_be_visible()
        for row in ("password", "reset-email", "reset-link", "force", "block"):
            expect(zone.locator(f"#danger-{row} button")).to_be_disabled()
        expect(zone.get_by_role("link")).to_have_count(0)

        # A forged POST from the viewer's own signed-in page, with a valid CSRF token.
        path = f"/dashboard/users/{user.user_id.replace('|', '%7C')}/block"
        result = page.evaluate(
            """async (path) => {
                const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
                const body = new URLSearchParams({
                    csrfmiddlewaretoken: token, confirm: "on", blocked: "1"});
                const r = await fetch(path, {method: "POST", body, credentials: "same-origin"});
                return {status: r.status, text: await r.text()};
            }""",
            path,
        )
        assert result["status"] == 403
        assert "CSRF" not in result["text"]
    user.refresh_from_db()
    assert not user.blocked


def test_send_reset_and_generate_link_both_produce_working_tickets(live, browser):
    staff = StaffFactory(email="admin@example.com")
    user = UserFactory(email="mika@example.com")

    with new_page(browser) as page, new_page(browser) as end_user:
        log_in(page, live.url, staff.email, DEFAULT_PASSWORD)
        open_user(page, "mika", user.email)

        page.locator("#danger-reset-email").get_by_role("link", name="Send email").click()
        page.locator("#dialog-reset-email").get_by_role("button", name="Send email").click()
        expect(page.locator(".messages")).to_contain_text("Password reset email queued")

        run_worker()
        page.get_by_role("link", name="Inbox").click()
        page.get_by_role("link", name="Reset your password").first.click()
        link = page.locator("#message-text a[href*='/u/reset-password']").first.get_attribute(
            "href"
        )
        assert link and "/u/reset-password?ticket=" in link

        end_user.goto(link)
        expect(end_user).to_have_url(live.url + "/u/reset-password/set")
        end_user.get_by_label("New password", exact=True).fill(STRONG)
        end_user.get_by_label("Confirm new password").fill(STRONG)
        end_user.get_by_role("button", name="Reset password").click()
        expect(end_user.get_by_role("heading", name="Password changed")).to_be_visible()

        open_user(page, "mika", user.email)
        page.locator("#danger-reset-link").get_by_role("link", name="Generate link").click()
        page.locator("#dialog-reset-link").get_by_role("button", name="Generate link").click()
        expect(page.locator("#identity-warning")).to_contain_text("Verify the user's identity")
        expect(page.get_by_role("button", name="Copy")).to_be_visible()
        generated = page.locator("#ticket-link").input_value()
        assert generated.startswith(live.url + "/u/reset-password?ticket=")

        end_user.goto(generated)
        expect(end_user).to_have_url(live.url + "/u/reset-password/set")
        end_user.get_by_label("New password", exact=True).fill("Second-Fresh-Start-8")
        end_user.get_by_label("Confirm new password").fill("Second-Fresh-Start-8")
        end_user.get_by_role("button", name="Reset password").click()
        expect(end_user.get_by_role("heading", name="Password changed")).to_be_visible()

    user.refresh_from_db()
    assert user.check_password("Second-Fresh-Start-8")
    assert InboxMessage.objects.count() >= 1


def test_the_log_shows_each_danger_zone_action_with_the_acting_staff_member(live, browser):
    staff = StaffFactory(email="admin@example.com")
    user = UserFactory(email="logged@example.com")

    with new_page(browser) as page:
        log_in(page, live.url, staff.email, DEFAULT_PASSWORD)
        open_user(page, "logged", user.email)
        for row, button in (
            ("force", "Force sign in"),
            ("block", "Block"),
            ("block", "Unblock"),
            ("reset-link", "Generate link"),
            ("password", "Change"),
        ):
            page.locator(f"#danger-{row}").get_by_role("link", name=button, exact=True).click()
            dialog = page.locator("dialog[open]")
            if row == "password":
                dialog.get_by_label("New password", exact=True).fill(STRONG)
                dialog.get_by_label("Confirm new password").fill(STRONG)
            dialog.get_by_label("Reason").fill(f"reason for {button}")
            dialog.locator("button[type=submit]").click()
            if row == "reset-link":
                expect(page.locator("#ticket-link")).to_be_visible()
                page.get_by_role("link", name="Done").click()
            expect(page.locator("#user-email")).to_have_text(user.email)

        page.get_by_role("link", name="Logs").click()
        page.get_by_label("User (email or user_id)").fill(user.email)
        page.get_by_role("button", name="Filter").click()
        rows = page.locator("#log-table tbody tr")
        for description in (
            "Changed password",
            "Create a password change ticket",
            "Unblock user",
            "Block user",
            "All sessions and tokens revoked",
        ):
            row = rows.filter(has_text=description).first
            expect(row.locator("td.actor")).to_have_text(staff.email)
        expect(rows.filter(has_text="reason for Force sign in")).to_have_count(1)

    kinds = set(LogEvent.objects.filter(user=user, actor=staff).values_list("type", flat=True))
    assert {LogType.SUCCESS_CHANGE_PASSWORD, LogType.FORCED_SIGN_IN} <= kinds


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} @ {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
)
def test_main_pages_have_no_serious_accessibility_violations(live, browser, viewport):
    staff = StaffFactory(email="admin@example.com")
    user = UserFactory(email="a11y@example.com")
    application = ApplicationFactory()
    uid = user.user_id.replace("|", "%7C")
    pages = [
        "/dashboard/users/",
        f"/dashboard/users/{uid}/",
        f"/dashboard/users/{uid}/password",
        f"/dashboard/connections/{user.connection_id}/",
        f"/dashboard/applications/{application.client_id}/",
        "/dashboard/emails/templates/",
        "/dashboard/emails/templates/reset_email/en/",
        "/dashboard/emails/deliveries/",
        "/dashboard/emails/inbox/",
        "/dashboard/logs/",
        "/dashboard/otp/setup",
    ]

    found: dict[str, list[str]] = {}
    with new_page(browser, viewport=viewport) as page:
        log_in(page, live.url, staff.email, DEFAULT_PASSWORD)
        for path in pages:
            page.goto(live.url + path)
            expect(page.locator("main h1")).to_be_visible()
            if problems := serious(page):
                found[path] = problems

    assert found == {}


def test_try_a_password_and_the_template_preview_update_as_staff_type(live, browser):
    staff = StaffFactory(email="admin@example.com")
    user = UserFactory(email="someone@example.com")

    with new_page(browser) as page:
        log_in(page, live.url, staff.email, DEFAULT_PASSWORD)
        page.goto(f"{live.url}/dashboard/connections/{user.connection_id}/")
        page.get_by_label("Password to try").fill("abc")
        length = page.locator('#try-rules li[data-code="password_too_short"]')
        expect(length).to_have_class("bad")
        expect(page.locator("#try-verdict")).to_have_text("This password does not meet the policy.")
        # Switching the (unsaved) level to None re-checks against it.
        page.get_by_label("None", exact=True).check()
        expect(length).to_have_text("At least 1 character.")
        expect(length).to_have_class("ok")
        expect(page.locator("#try-verdict")).to_have_text("This password meets the policy.")

        page.goto(f"{live.url}/dashboard/emails/templates/reset_email/en/")
        # The saved template's preview is asked for (an administrator's POST) on load.
        expect(page.locator("#template-preview-subject")).not_to_be_empty()
        page.get_by_label("Subject").fill("Hi {{ user.name }}, reset now")
        expect(page.locator("#template-preview-subject")).to_have_text("Hi Jane Doe, reset now")
        page.get_by_label("Body (HTML with Liquid)").fill("<p>Hello {{ user.email }}</p>")
        paragraphs = page.frame_locator("#template-preview").locator("p")
        expect(paragraphs).to_have_count(1)
        expect(paragraphs).to_have_text("Hello jane.doe@example.com")
