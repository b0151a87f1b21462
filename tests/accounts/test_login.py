"""The hosted login: log events, hash upgrade, blocked users, rate limits, healthz."""

from __future__ import annotations

import bcrypt
import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client

from accounts.models import LogEvent, LogType, UserSession
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client: Client, user, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(
        "/u/login",
        {"email": user.email, "password": password, "connection": user.connection.name},
        **extra,
    )


def test_login_page_links_to_the_forgot_password_page(client) -> None:
    response = client.get("/u/login?client_id=abc")
    assert response.status_code == 200
    assert b"Don't remember your password?" in response.content
    assert (
        b'href="/u/reset-password/request?client_id=abc&amp;'
        b'connection=Username-Password-Authentication"'
    ) in response.content
    assert response["Cache-Control"].startswith("max-age=0")
    assert "Content-Security-Policy" in response


def test_successful_login_is_logged_counted_and_recorded_as_a_session(client, user) -> None:
    response = login(client, user)
    assert response.status_code == 302
    assert response["Location"] == "/u/login/done"
    user.refresh_from_db()
    assert user.logins_count == 1
    assert user.last_login is not None
    assert UserSession.objects.filter(user=user).count() == 1
    assert LogEvent.objects.get(type=LogType.SUCCESS_LOGIN).user == user


def test_email_is_matched_case_and_unicode_insensitively(client) -> None:
    user = UserFactory(email="Straße@Example.com")
    assert login(client, user).status_code == 302
    client.logout()
    response = client.post(
        "/u/login",
        {
            "email": "STRASSE@example.com",
            "password": DEFAULT_PASSWORD,
            "connection": user.connection.name,
        },
    )
    # casefold("ß") == "ss": the Unicode-safe key matches; mail still goes to the stored address.
    assert response.status_code == 302


def test_wrong_password_is_logged_f_and_shows_one_message(client, user) -> None:
    response = login(client, user, password="nope-nope")
    assert response.status_code == 400
    assert b"Wrong email or password." in response.content
    event = LogEvent.objects.get(type=LogType.FAILED_LOGIN)
    assert event.user == user
    assert "nope-nope" not in str(event.details)


def test_blocked_user_with_the_right_password_is_told_the_account_is_blocked(client) -> None:
    user = UserFactory(blocked=True)
    response = login(client, user)
    assert response.status_code == 403
    assert b"This account is blocked" in response.content
    assert b"contact your organisation" in response.content
    assert b"Wrong email or password." not in response.content
    assert "_auth_user_id" not in client.session
    assert LogEvent.objects.get(type=LogType.FAILED_LOGIN).description == "Blocked user"


def test_blocked_page_names_the_configured_support_contact_and_text(client, settings) -> None:
    settings.REKEY_SUPPORT_EMAIL = "help@example.com"
    settings.REKEY_SUPPORT_URL = "https://help.example.com/unblock"
    settings.REKEY_BLOCKED_MESSAGE = "Your account is on hold."
    response = login(client, UserFactory(blocked=True))
    assert b"Your account is on hold." in response.content
    assert b'href="mailto:help@example.com"' in response.content
    assert b'href="https://help.example.com/unblock"' in response.content


def _alert(response) -> bytes:
    content = response.content
    start = content.index(b'<div class="alert error"')
    return content[start : content.index(b"</div>", start)]


def test_blocked_user_with_a_wrong_password_gets_the_same_answer_as_anyone(client) -> None:
    blocked = login(client, UserFactory(blocked=True), password="Wrong-Guess-1")
    wrong = login(client, UserFactory(), password="Wrong-Guess-1")
    unknown = client.post(
        "/u/login",
        {
            "email": "nobody@example.com",
            "password": "Wrong-Guess-1",
            "connection": "Username-Password-Authentication",
        },
    )
    assert blocked.status_code == wrong.status_code == unknown.status_code == 400
    assert _alert(blocked) == _alert(wrong) == _alert(unknown)
    assert b"Wrong email or password." in _alert(blocked)
    assert [e.description for e in LogEvent.objects.order_by("id")] == [
        "Blocked user",
        "Wrong email or password.",
        "Wrong email or password.",
    ]


def test_bcrypt_hash_is_upgraded_to_argon2id_on_login(client, user) -> None:
    raw = bcrypt.hashpw(b"Legacy-Secret-7", bcrypt.gensalt(rounds=4)).decode()
    user.password = "bcrypt$" + raw  # as import_users stores an Auth0 bcrypt hash
    user.save()
    assert login(client, user, password="Legacy-Secret-7").status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert check_password("Legacy-Secret-7", user.password)


def test_raised_argon2_parameters_upgrade_the_hash_on_login(client, user, settings) -> None:
    settings.REKEY_ARGON2 = {"time_cost": 2, "memory_cost": 2048, "parallelism": 1}
    assert login(client, user).status_code == 302
    user.refresh_from_db()
    assert "m=2048,t=2,p=1" in user.password


def test_login_attempts_are_rate_limited_per_ip(client, settings) -> None:
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "login": "2/m/ip,100/m/key"}
    users = UserFactory.create_batch(3)
    assert [login(client, u).status_code for u in users] == [302, 302, 429]


def test_rate_limits_can_be_switched_off(client, user, settings) -> None:
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "login": "1/m/ip"}
    settings.RATELIMIT_ENABLE = False
    assert [login(client, user, password="x").status_code for _ in range(3)] == [400] * 3


def test_logout_ends_the_session(client, user) -> None:
    login(client, user)
    assert client.post("/u/logout").status_code == 302
    assert client.get("/u/login/done").status_code == 302


def test_healthz_reports_the_database_and_redis_when_configured(client, settings) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    expected = {"status": "ok", "database": "ok"}
    if settings.REDIS_URL:
        expected["redis"] = "ok"
    assert response.json() == expected
