# ruff: noqa: F811 (the live server and browser fixtures are imported by name)
"""Creating an application in headless Chromium: the form, then its secret shown once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Application
from accounts.services import application_secret_check
from tests.dashboard.test_browser import (  # noqa: F401 (fixtures)
    browser,
    live,
    log_in,
    new_page,
    serious,
)
from tests.factories import DEFAULT_PASSWORD, ConnectionFactory, StaffFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_administrator_creates_a_machine_to_machine_application_and_copies_its_secret(
    live, browser
):
    staff = StaffFactory(email="admin@example.com")
    ConnectionFactory()

    with new_page(browser, viewport={"width": 390, "height": 844}) as page:
        log_in(page, live.url, staff.email, DEFAULT_PASSWORD)
        page.goto(live.url + "/dashboard/applications/")
        page.get_by_role("link", name="New application").click()
        assert serious(page) == []
        page.get_by_label("Name", exact=True).fill("Billing backend")
        page.get_by_label("Machine to machine").check()
        page.get_by_label("Username-Password-Authentication").check()
        page.get_by_role("button", name="Create application").click()

        expect(page.get_by_role("heading", name="Billing backend")).to_be_visible()
        expect(page.locator(".messages")).to_contain_text("Application created.")
        box = page.locator("#new-secret-box")
        expect(box).to_contain_text("it is shown only once")
        assert serious(page) == []
        secret = page.locator("#new-secret").input_value()
        application = Application.objects.get(name="Billing backend")
        assert application_secret_check(application=application, secret=secret)
        # No sideways scrolling on a phone, even with the long secret.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        page.reload()
        expect(page.get_by_role("heading", name="Billing backend")).to_be_visible()
        expect(page.locator("#new-secret-box")).to_have_count(0)
