"""Issue 11, part 1: reset by emailed code, for connections set to "code"."""

from __future__ import annotations

import difflib
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import LogEvent, LogType, ResetMethod
from emails.models import EmailDelivery, InboxMessage
from tests.factories import ConnectionFactory, UserFactory
from tickets.models import PasswordChangeTicket

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Secret-77"
REQUEST_URL = "/u/reset-password/request"
CODE_URL = "/u/reset-password/code"
# What differs between two pages whatever the account: the address typed, the CSRF token.
VARYING = r"\S+@example\.com|value=\"[A-Za-z0-9]{64}\""


@pytest.fixture
def code_user(db):
    connection = ConnectionFactory(password_reset_method=ResetMethod.CODE)
    return UserFactory(connection=connection, email="kiosk@example.com")


def ask(client, user, email: str | None = None, query: str = ""):
    params = f"?connection={user.connection.name}{query}"
    return client.post(
        REQUEST_URL + params,
        {"email": email or user.email, "connection": user.connection.name},
    )


def code_from_inbox() -> str:
    message = InboxMessage.objects.order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.text_body)[1]


def enter(client, user, code: str, query: str = ""):
    return client.post(f"{CODE_URL}?connection={user.connection.name}{query}", {"code": code})


def later(minutes: float):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def test_a_code_connection_mails_a_code_and_the_code_opens_the_new_password_page(
    client, code_user, worker
):
    response = ask(client, code_user)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{CODE_URL}?connection={code_user.connection.name}"
    page = client.get(response.headers["Location"]).content.decode()
    assert "Enter your code" in page and "kiosk@example.com" in page
    worker()
    code = code_from_inbox()
    message = InboxMessage.objects.get()
    assert "/u/reset-password?ticket=" not in message.text_body  # a code, no link
    # The stored, shown copy of the email holds a placeholder, never the code.
    delivery = EmailDelivery.objects.get()
    assert code not in delivery.text_body + delivery.html_body + delivery.subject
    assert "••••••" in delivery.text_body
    assert delivery.template_name == "reset_email_by_code"
    assert code not in PasswordChangeTicket.objects.get().code_hash

    opened = enter(client, code_user, code)
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/u/reset-password/set"
    done = client.post(
        "/u/reset-password/set", {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 303
    code_user.refresh_from_db()
    assert code_user.check_password(NEW_PASSWORD)
    assert LogEvent.objects.filter(type=LogType.SUCCESS_CHANGE_PASSWORD).count() == 1
    assert LogEvent.objects.filter(type=LogType.SUCCESS_CHANGE_PASSWORD_REQUEST).count() == 1


def test_a_code_works_once(client, code_user, worker):
    ask(client, code_user)
    worker()
    code = code_from_inbox()
    assert enter(client, code_user, code).status_code == 302
    again = enter(client, code_user, code)
    assert again.status_code == 400
    assert "That code is not right, or it has expired." in again.content.decode()


def test_five_wrong_codes_burn_it_each_logged(client, code_user, worker):
    ask(client, code_user)
    worker()
    code = code_from_inbox()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert enter(client, code_user, wrong).status_code == 400
    cache.clear()  # past the per-account limit of tries, which would answer 429 here
    assert enter(client, code_user, code).status_code == 400  # the right one, too late

    ticket = PasswordChangeTicket.objects.get()
    assert ticket.revoked_at is not None and ticket.code_tries == 5
    descriptions = list(
        LogEvent.objects.filter(type=LogType.FAILED_CHANGE_PASSWORD)
        .order_by("id")
        .values_list("description", flat=True)
    )
    assert descriptions[:4] == ["Wrong or expired password reset code"] * 4
    assert descriptions[4] == "Wrong password reset code: the code is burned after 5 wrong tries"
    code_user.refresh_from_db()
    assert not code_user.check_password(NEW_PASSWORD)


def test_tries_are_rate_limited_per_account(client, code_user, worker):
    ask(client, code_user)
    worker()
    for _ in range(5):
        enter(client, code_user, "000000")
    limited = enter(client, code_user, "000000")
    assert limited.status_code == 429


def test_only_the_newest_code_works(client, code_user, worker):
    ask(client, code_user)
    worker()
    first = code_from_inbox()
    with later(13):  # past the per-email limit of one request in 12 minutes
        ask(client, code_user)
        worker()
        second = code_from_inbox()
        if first == second:
            pytest.skip("the two random codes happen to be equal")
        assert enter(client, code_user, first).status_code == 400
        assert enter(client, code_user, second).status_code == 302


def test_a_code_expires_after_its_lifetime(client, code_user, worker, settings):
    settings.REKEY_RESET_CODE_LIFETIME = 300
    ask(client, code_user)
    worker()
    code = code_from_inbox()
    assert "expires in 5 minutes" in InboxMessage.objects.get().text_body
    with later(6):
        assert enter(client, code_user, code).status_code == 400


def test_an_unknown_email_gets_the_same_page_and_the_same_work(client, code_user, worker):
    known, unknown = client, client.__class__()
    ask(known, code_user)
    ask(unknown, code_user, email="nobody@example.com")
    worker()
    assert InboxMessage.objects.count() == 1  # the known user's only

    pages = []
    for c in (known, unknown):
        with CaptureQueriesContext(db_connection) as queries:
            response = enter(c, code_user, "123456")
        page = response.content.decode()
        pages.append((response.status_code, len(queries), re.sub(VARYING, "", page)))
    assert pages[0] == pages[1], "\n".join(
        difflib.unified_diff(pages[0][2].splitlines(), pages[1][2].splitlines(), lineterm="")
    )


def test_the_json_door_sends_a_code_too(client, code_user, worker):
    response = client.post(
        "/dbconnections/change_password",
        {"email": code_user.email, "connection": code_user.connection.name},
        content_type="application/json",
    )
    assert response.status_code == 200
    worker()
    assert re.search(r"\b\d{6}\b", InboxMessage.objects.get().text_body)
    assert EmailDelivery.objects.get().template_name == "reset_email_by_code"


def test_japanese_users_get_the_code_in_japanese(client, worker):
    connection = ConnectionFactory(password_reset_method=ResetMethod.CODE)
    user = UserFactory(connection=connection, email="yamada@example.com", locale="ja")
    ask(client, user, query="&ui_locales=ja")
    page = client.get(f"{CODE_URL}?connection={connection.name}&ui_locales=ja").content.decode()
    assert "コード" in page
    worker()
    message = InboxMessage.objects.get()
    assert message.subject == "パスワード再設定コード"
    assert "15 分で期限が切れます" in message.text_body
