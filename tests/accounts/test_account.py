"""/u/account: the signed-in end user changes their own password and ends their other sessions."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import LogEvent, LogType, UserSession
from emails.models import EmailDelivery
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from tests.oidc.test_revocation_doors import Tokens

pytestmark = pytest.mark.django_db
NEW = "Brand-New-Pass-9"


@pytest.fixture
def user(connection):
    return UserFactory(connection=connection, email="ada@example.com")


def signed_in(user) -> Client:
    browser = Client()
    response = browser.post(
        "/u/login",
        {"email": user.email, "password": DEFAULT_PASSWORD, "connection": user.connection.name},
    )
    assert response.status_code == 302
    return browser


def change(browser, current=DEFAULT_PASSWORD, new=NEW, new2=None):
    return browser.post(
        "/u/account",
        {"current_password": current, "password": new, "password2": new2 or new},
    )


def test_without_a_session_the_page_sends_to_the_login(client, db):
    response = client.get("/u/account")

    assert response.status_code == 302
    assert response["Location"] == "/u/login?next=%2Fu%2Faccount"


def test_a_staff_session_is_nobody_here(client, connection):
    client.force_login(StaffFactory())

    assert client.get("/u/account")["Location"].startswith("/u/login")


def test_the_page_shows_the_live_policy_checklist_and_the_sessions(user):
    page = signed_in(user).get("/u/account").content.decode()

    assert 'id="password-rules" type="application/json"' in page
    assert '/static/js/password-rules.js"' in page
    assert "(this one)" in page


def test_the_change_keeps_this_session_and_ends_the_others_and_the_tokens(connection, user):
    tokens = Tokens(connection, user)
    other = signed_in(user)
    browser = signed_in(user)

    response = change(browser)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert browser.get("/u/account").status_code == 200
    assert other.get("/u/account").status_code == 302
    assert UserSession.objects.filter(user=user).count() == 1
    tokens.assert_ended()


def test_the_change_is_logged_with_the_account_door(user):
    change(signed_in(user))

    event = LogEvent.objects.get(user=user, type=LogType.SUCCESS_CHANGE_PASSWORD)
    assert event.details == {"door": "account"}
    assert event.actor == user


def test_the_change_sends_the_password_changed_email(user):
    change(signed_in(user))

    delivery = EmailDelivery.objects.get(to=user.email)
    assert delivery.subject == "Your password was changed"


def test_the_change_email_is_in_japanese_for_a_japanese_user(connection):
    user = UserFactory(connection=connection, locale="ja")

    change(signed_in(user))

    assert EmailDelivery.objects.get(to=user.email).subject == "パスワードが変更されました"


def test_a_wrong_current_password_is_refused_and_logged(user):
    response = change(signed_in(user), current="not-mine")

    assert response.status_code == 400
    assert "That is not your current password." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert LogEvent.objects.filter(user=user, type=LogType.FAILED_CHANGE_PASSWORD).count() == 1


def test_wrong_current_passwords_count_toward_brute_force_protection(user, settings):
    settings.REKEY_BRUTE_FORCE = {**settings.REKEY_BRUTE_FORCE, "threshold": 2}
    browser = signed_in(user)

    change(browser, current="wrong-1")
    blocked = change(browser, current="wrong-2")
    right = change(browser)

    assert blocked.status_code == 429
    assert right.status_code == 429
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_weak_new_password_names_the_rule(user):
    response = change(signed_in(user), new="short")

    assert response.status_code == 400
    assert not LogEvent.objects.filter(user=user, type=LogType.SUCCESS_CHANGE_PASSWORD).exists()


def test_passwords_that_differ_are_refused(user):
    response = change(signed_in(user), new=NEW, new2=NEW + "x")

    assert response.status_code == 400
    assert "The two passwords do not match." in response.content.decode()


def test_sign_out_the_other_sessions(user):
    other = signed_in(user)
    browser = signed_in(user)

    response = browser.post("/u/account", {"action": "sign-out-others"})

    assert response.status_code == 302
    assert other.get("/u/account").status_code == 302
    assert browser.get("/u/account").status_code == 200
    assert LogEvent.objects.filter(user=user, type=LogType.FORCED_SIGN_IN).count() == 1
