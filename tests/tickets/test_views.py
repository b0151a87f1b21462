"""The hosted forgot-password and reset pages."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.audit import Audit, Door
from accounts.models import LogEvent, LogType, UserSession
from emails.models import InboxMessage
from tests.factories import ApplicationFactory, UserFactory
from tickets.models import PasswordChangeTicket, TicketStatus
from tickets.services import ticket_issue

NEW_PASSWORD = "Brand-New-Secret-77"
REQUEST_URL = "/u/reset-password/request"
FORGOT_JA = "パスワードをお忘れですか\uff1f"
SET_URL = "/u/reset-password/set"

pytestmark = pytest.mark.django_db


def open_link(client, token, **extra):
    return client.get("/u/reset-password", {"ticket": token}, **extra)


def test_the_link_keeps_the_ticket_sealed_in_a_reset_cookie_and_drops_it_from_the_url(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    response = open_link(client, token)

    assert response.status_code == 302
    assert response.headers["Location"] == SET_URL
    cookie = response.cookies["rekey_reset"]
    assert token not in cookie.value
    assert (cookie["path"], cookie["httponly"], cookie["samesite"]) == (
        "/u/reset-password",
        True,
        "Lax",
    )
    assert Session.objects.count() == 0


def test_opening_a_link_leaves_a_login_session_in_the_same_browser_alone(client, user):
    staff = UserFactory()
    client.post(
        "/u/login",
        {"email": staff.email, "password": "Correct-Horse-42", "connection": staff.connection.name},
    )
    session_key = client.session.session_key
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    open_link(client, token)
    client.post(SET_URL, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert client.session.session_key == session_key
    assert client.get("/u/login/done").status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_tampered_reset_cookie_is_refused(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    open_link(client, token)
    client.cookies["rekey_reset"] = client.cookies["rekey_reset"].value[:-4] + "AAAA"

    response = client.get(SET_URL)

    assert response.status_code == 400


def test_opening_the_link_never_uses_the_ticket(client, user):
    ticket, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    open_link(client, token)
    open_link(client, token)
    client.get(SET_URL)

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.VALID


def test_the_set_page_shows_the_policy_rules_and_loads_the_checker(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    open_link(client, token)

    page = client.get(SET_URL).content.decode()

    assert "At least 8 characters." in page
    assert 'id="password-rules" type="application/json"' in page
    assert '/static/js/password-rules.js"' in page


def test_a_new_password_is_set_and_the_user_is_not_logged_in(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    open_link(client, token)

    response = client.post(SET_URL, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # Post/redirect/get: a refresh of the "changed" page sends nothing again.
    assert response.status_code == 303
    assert response["Location"] == (f"/u/reset-password/done?connection={user.connection.name}")
    done = client.get(response["Location"])
    assert "You can now log in with your new password." in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in client.session
    assert client.cookies["rekey_reset"].value == ""
    assert LogEvent.objects.filter(type=LogType.SUCCESS_CHANGE_PASSWORD, user=user).count() == 1


def test_the_users_login_sessions_end_on_reset(client, user):
    other = type(client)()
    other.post(
        "/u/login",
        {"email": user.email, "password": "Correct-Horse-42", "connection": user.connection.name},
    )
    assert UserSession.objects.filter(user=user).count() == 1
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    open_link(client, token)

    client.post(SET_URL, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert UserSession.objects.filter(user=user).count() == 0
    assert other.get("/u/login/done").status_code == 302


def test_the_link_cannot_be_used_twice(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    open_link(client, token)
    client.post(SET_URL, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    response = open_link(client, token)

    assert response.status_code == 400
    page = response.content.decode()
    assert "This link has already been used." in page
    assert 'id="request-new-link"' in page


def test_a_weak_password_shows_the_broken_rules_and_keeps_the_ticket(client, user):
    ticket, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    open_link(client, token)

    response = client.post(SET_URL, {"password": "short", "password2": "short"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Password too weak" in page
    assert '<li data-code="password_too_short" class="bad">At least 8 characters.</li>' in page
    assert 'class="field-error">At least' not in page
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.VALID
    assert LogEvent.objects.filter(type=LogType.FAILED_CHANGE_PASSWORD).count() == 1


def test_passwords_that_differ_are_refused(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    open_link(client, token)

    response = client.post(SET_URL, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})

    assert response.status_code == 400
    assert "The two passwords do not match." in response.content.decode()


def test_success_redirects_to_the_result_url_with_the_email_when_asked(client, user):
    _, token = ticket_issue(
        user=user,
        audit=Audit(door=Door.API),
        result_url="https://app.example.com/done?x=1",
        include_email_in_redirect=True,
    )
    open_link(client, token)

    response = client.post(SET_URL, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "app.example.com",
        "/done",
    )
    assert parse_qs(location.query) == {
        "x": ["1"],
        "success": ["true"],
        "message": ["Your password has been changed successfully."],
        "email": [user.email],
    }


def test_an_expired_ticket_with_a_result_url_redirects_with_success_false(client, user):
    _, token = ticket_issue(
        user=user,
        audit=Audit(door=Door.API),
        result_url="https://app.example.com/done",
        ttl_seconds=60,
    )

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        response = open_link(client, token)

    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"success": ["false"], "message": ["This link has expired."]}
    assert LogEvent.objects.get(type=LogType.FAILED_CHANGE_PASSWORD).details["ticket"] == "expired"


def test_a_superseded_link_says_so(client, user):
    _, old_token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    ticket_issue(user=user, audit=Audit(door=Door.RESET))

    response = open_link(client, old_token)

    assert response.status_code == 400
    assert "This link was replaced by a newer one." in response.content.decode()


def test_the_done_page_links_to_the_applications_default_login_route(client, user):
    app = ApplicationFactory(default_login_route="https://app.example.com/login")
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET), application=app)
    open_link(client, token)

    response = client.post(
        SET_URL, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True
    )

    assert 'href="https://app.example.com/login"' in response.content.decode()


def test_the_set_page_without_a_ticket_in_the_session_is_refused(client, db):
    response = client.get(SET_URL)

    assert response.status_code == 400
    assert 'id="request-new-link"' in response.content.decode()


@pytest.mark.parametrize("path", ["/u/reset-password/request", SET_URL, "/u/reset-password"])
def test_reset_pages_send_the_security_headers(client, user, path):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    open_link(client, token)

    response = client.get(path, {"ticket": token} if path == "/u/reset-password" else {})

    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Frame-Options"] == "DENY"
    if response.status_code == 200:
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp


def test_the_request_page_gives_the_same_confirmation_for_known_and_unknown(client, user, worker):
    known = client.post(REQUEST_URL, {"email": user.email, "connection": user.connection.name})
    unknown = client.post(
        REQUEST_URL, {"email": "nobody@example.com", "connection": user.connection.name}
    )
    worker()

    assert known.status_code == unknown.status_code == 303
    assert known["Location"] == unknown["Location"]
    assert sorted(known.cookies.keys()) == sorted(unknown.cookies.keys()) == ["rekey_reset_sent"]
    # The confirmation says the same, naming the address as typed, whoever it belongs to.
    known_page = client.get(known["Location"], headers={"cookie": _sent(known)}).content
    unknown_page = client.get(unknown["Location"], headers={"cookie": _sent(unknown)}).content
    assert _masked(known_page.decode(), user.email) == _masked(
        unknown_page.decode(), "nobody@example.com"
    )
    assert f"If an account exists for <strong>{user.email}</strong>" in known_page.decode()
    assert InboxMessage.objects.get().to == user.email


def _sent(response) -> str:
    return "rekey_reset_sent=" + response.cookies["rekey_reset_sent"].value


def _masked(page: str, email: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.replace(email, "EMAIL"))


def test_check_your_email_offers_resend_and_a_refresh_sends_nothing(client, user, worker):
    response = client.post(
        REQUEST_URL, {"email": user.email, "connection": user.connection.name}, follow=True
    )
    client.get(response.redirect_chain[-1][0])  # a refresh
    worker()

    page = response.content.decode()
    assert 'id="resend-form"' in page and 'data-delay="30"' in page
    assert f'name="email" value="{user.email}"' in page
    assert InboxMessage.objects.count() == 1


def test_the_request_page_over_the_ip_limit_says_when_to_try_again(client, user, settings):
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "change_password": "1/m/ip"}
    data = {"email": user.email, "connection": user.connection.name}
    client.post(REQUEST_URL, data)

    response = client.post(REQUEST_URL, data)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert response.headers["X-RateLimit-Limit"] == "1"
    assert "Please wait 60 seconds, then try again." in response.content.decode()


def test_the_request_page_is_linked_from_the_login_page(client, connection):
    page = client.get("/u/login").content.decode()

    assert f'href="{REQUEST_URL}?connection={connection.name}"' in page


def test_ui_locales_shows_the_pages_in_japanese(client, user):
    page = client.get(REQUEST_URL, {"ui_locales": "ja"}).content.decode()

    assert 'lang="ja"' in page
    assert FORGOT_JA in page


def test_accept_language_japanese_shows_the_pages_in_japanese(client, user):
    page = client.get(REQUEST_URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert FORGOT_JA in page


def test_the_reset_email_is_in_the_requesters_language(client, user, worker):
    client.post(
        REQUEST_URL + "?ui_locales=ja", {"email": user.email, "connection": user.connection.name}
    )
    worker()

    assert InboxMessage.objects.get().subject == "パスワードの再設定"


def test_a_user_with_a_locale_gets_the_email_in_their_language(client, connection, worker):
    user = UserFactory(locale="ja")

    client.post(REQUEST_URL, {"email": user.email, "connection": connection.name})
    worker()

    assert InboxMessage.objects.get().subject == "パスワードの再設定"


def test_a_tickets_count_stays_one_valid_per_user(client, user, worker, settings):
    settings.REKEY_RATELIMITS = {**settings.REKEY_RATELIMITS, "change_password_email_any": ""}
    for _ in range(3):
        client.post(REQUEST_URL, {"email": user.email, "connection": user.connection.name})
    worker()

    statuses = sorted(t.status for t in PasswordChangeTicket.objects.all())
    assert statuses == ["revoked", "revoked", "valid"]
