# ruff: noqa: F811 (the live server and browser fixtures are imported by name)
"""The email frames in headless Chromium: the whole email shows, styled, with no scrollbar."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from emails.models import InboxMessage
from tests.dashboard.test_browser import (  # noqa: F401 (fixtures)
    browser,
    live,
    log_in,
    new_page,
    serious,
)
from tests.emails.worker import run_worker
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from tickets.models import TicketDoor
from tickets.services import reset_email_send

pytestmark = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

MEASURE = """(id) => {
  const frame = document.getElementById(id);
  const doc = frame.contentDocument;
  return {
    frame: frame.clientHeight,
    content: doc.documentElement.scrollHeight,
    viewport: doc.documentElement.clientHeight,
    wide: doc.documentElement.scrollWidth - doc.documentElement.clientWidth,
    button: getComputedStyle(doc.querySelector("a[href]")).backgroundColor,
  };
}"""


def frame_measures(page: Page, frame_id: str) -> dict[str, object]:
    # The frame is resized on its load event: wait until it is as tall as its email.
    page.wait_for_function(
        """(id) => {
          const frame = document.getElementById(id);
          const doc = frame && frame.contentDocument;
          return doc && doc.querySelector("a[href]") &&
            Math.abs(frame.clientHeight - doc.documentElement.scrollHeight) <= 1;
        }""",
        arg=frame_id,
    )
    return page.evaluate(MEASURE, frame_id)


@pytest.mark.parametrize(
    ("viewport", "language", "button"),
    [
        (WIDE, "en", "Reset your password"),
        (PHONE, "en", "Reset your password"),
        (PHONE, "ja", "パスワードを再設定する"),
    ],
    ids=["1366-en", "390-en", "390-ja"],
)
def test_the_template_preview_shows_the_whole_styled_email(
    live, browser, viewport, language, button
):
    staff = StaffFactory(email="admin@example.com")

    with new_page(browser, viewport=viewport) as page:  # fails on any CSP violation
        log_in(page, live.url, staff.email, DEFAULT_PASSWORD)
        page.goto(f"{live.url}/dashboard/emails/templates/reset_email/{language}/")
        email = page.frame_locator("#template-preview")
        expect(email.get_by_role("link", name=button)).to_be_visible()
        expect(email.locator("html")).to_have_attribute("lang", language)

        sizes = frame_measures(page, "template-preview")
        # The frame is as tall as its document, so the document has nothing to scroll.
        assert sizes["content"] <= sizes["viewport"]
        assert abs(sizes["frame"] - sizes["content"]) <= 1
        assert sizes["content"] > 400  # the whole email, not the old fixed 22rem box
        assert sizes["wide"] == 0
        # Its inline styles apply (the dashboard's policy would have refused them).
        assert sizes["button"] == "rgb(29, 78, 216)"
        # axe checks the page and the email inside its frame.
        assert serious(page) == []

        # Edited to something short, the frame shrinks to it.
        page.get_by_label("Body (HTML with Liquid)").fill("<p>Hello {{ user.email }}</p>")
        expect(email.locator("p")).to_have_count(1)
        expect(email.locator("p")).to_have_text("Hello jane.doe@example.com")
        page.wait_for_function(
            "() => document.getElementById('template-preview').clientHeight < 200"
        )


def test_a_received_email_shows_whole_in_the_inbox(live, browser):
    staff = StaffFactory(email="admin@example.com")
    user = UserFactory(email="mika@example.com")
    reset_email_send(user_id=user.pk, door=TicketDoor.SELF_SERVICE)
    run_worker()
    message = InboxMessage.objects.get()

    with new_page(browser, viewport=PHONE) as page:
        log_in(page, live.url, staff.email, DEFAULT_PASSWORD)
        page.goto(f"{live.url}/dashboard/emails/inbox/{message.pk}/")
        button = page.frame_locator("#message-html").get_by_role("link", name="Reset your password")
        expect(button).to_be_visible()

        sizes = frame_measures(page, "message-html")
        assert sizes["content"] <= sizes["viewport"]
        assert abs(sizes["frame"] - sizes["content"]) <= 1
        assert sizes["wide"] == 0
        assert serious(page) == []
        # A link in the email opens in a new tab, as from a mail client.
        with page.context.expect_page() as opened:
            button.click()
        assert "/u/reset-password" in opened.value.url
