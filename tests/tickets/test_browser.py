"""The whole self-service flow in headless Chromium, against a live server and the real worker."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from emails.models import InboxMessage
from tests.emails.worker import run_worker
from tests.factories import ConnectionFactory, UserFactory

NEW_PASSWORD = "Fresh-Start-2026!"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_forgot_password_to_login_with_the_new_password(
    live_server, chromium_path, settings, monkeypatch
):
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain
    # synchronous ones between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_URL = live_server.url
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}
    user = UserFactory(connection=ConnectionFactory(), email="walker@example.com")
    csp_violations: list[str] = []
    axe = Axe()
    accessibility: dict[str, str] = {}

    def check_accessibility(page) -> None:
        results = axe.run(page)
        if results.violations_count:
            accessibility[page.url] = results.generate_report()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(locale="en-GB")
        page.on(
            "console",
            lambda msg: (
                csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        try:
            page.goto(f"{live_server.url}/u/login")
            page.get_by_role("link", name="Don't remember your password?").click()
            expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
            check_accessibility(page)
            page.get_by_label("Email address").fill("WALKER@example.com")
            page.get_by_role("button", name="Send me a reset link").click()
            expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

            run_worker()
            message = InboxMessage.objects.get()
            assert message.to == user.email
            link = re.search(r"http\S+/u/reset-password\?ticket=[\w-]+", message.text_body)[0]

            page.goto(link)
            expect(page).to_have_url(f"{live_server.url}/u/reset-password/set")
            check_accessibility(page)
            length_rule = page.locator('#password-rules-list li[data-code="password_too_short"]')
            page.get_by_label("New password", exact=True).fill("short")
            expect(length_rule).to_have_class(re.compile(r"\bbad\b"))
            page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
            expect(length_rule).to_have_class(re.compile(r"\bok\b"))
            page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
            page.get_by_role("button", name="Reset password").click()
            expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
            check_accessibility(page)

            page.get_by_role("link", name="Log in").click()
            page.get_by_label("Email address").fill(user.email)
            page.get_by_label("Password").fill(NEW_PASSWORD)
            page.get_by_role("button", name="Continue").click()
            expect(page.locator("#logged-in-as")).to_contain_text(user.email)

            page.goto(link)
            expect(page.get_by_role("alert")).to_contain_text("This link has already been used.")
        finally:
            browser.close()

    assert csp_violations == []
    assert accessibility == {}
