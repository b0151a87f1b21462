"""Issue 11, part 1: reset by emailed code in headless Chromium, in English and Japanese."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from accounts.models import ResetMethod
from emails.models import InboxMessage
from tests.emails.worker import run_worker
from tests.factories import ConnectionFactory, UserFactory
from tests.tickets.test_browser import CHROMIUM_ARGS

NEW_PASSWORD = "Fresh-Start-2026!"

WORDS = {
    "en": {
        "forgot": "Don't remember your password?",
        "email": "Email address",
        "send": "Send me a reset code",
        "enter": "Enter your code",
        "code": "Code",
        "continue": "Continue",
        "new": "New password",
        "confirm": "Confirm new password",
        "reset": "Reset password",
        "done": "Password changed",
        "wrong": "That code is not right",
    },
    "ja": {
        "forgot": "パスワードをお忘れですか\uff1f",
        "email": "メールアドレス",
        "send": "再設定コードを送る",
        "enter": "コードを入力",
        "code": "コード",
        "continue": "続行",
        "new": "新しいパスワード",
        "confirm": "新しいパスワード\uff08確認\uff09",
        "reset": "パスワードを再設定",
        "done": "パスワードを変更しました",
        "wrong": "コードが正しくないか",
    },
}


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["en", "ja"])
def test_reset_by_code_from_the_forgot_page_to_a_new_password(
    live_server, chromium_path, settings, monkeypatch, language
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_URL = live_server.url
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}
    connection = ConnectionFactory(password_reset_method=ResetMethod.CODE)
    user = UserFactory(connection=connection, email="kiosk@example.com", locale=language)
    words = WORDS[language]
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
        page = browser.new_page(locale="ja-JP" if language == "ja" else "en-GB")
        try:
            page.goto(f"{live_server.url}/u/login?ui_locales={language}")
            page.get_by_role("link", name=words["forgot"]).click()
            page.get_by_label(words["email"]).fill(user.email)
            page.get_by_role("button", name=words["send"]).click()
            expect(page.get_by_role("heading", name=words["enter"])).to_be_visible()
            check_accessibility(page)

            run_worker()
            code = re.search(r"\b(\d{6})\b", InboxMessage.objects.get().text_body)[1]
            wrong = f"{(int(code) + 1) % 10**6:06d}"
            page.get_by_label(words["code"], exact=True).fill(wrong)
            page.get_by_role("button", name=words["continue"]).click()
            expect(page.get_by_role("alert")).to_contain_text(words["wrong"])
            page.get_by_label(words["code"], exact=True).fill(code)
            page.get_by_role("button", name=words["continue"]).click()

            expect(page).to_have_url(re.compile(r"/u/reset-password/set"))
            check_accessibility(page)
            page.get_by_label(words["new"], exact=True).fill(NEW_PASSWORD)
            page.get_by_label(words["confirm"]).fill(NEW_PASSWORD)
            page.get_by_role("button", name=words["reset"]).click()
            expect(page.get_by_role("heading", name=words["done"])).to_be_visible()
        finally:
            browser.close()

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert accessibility == {}
