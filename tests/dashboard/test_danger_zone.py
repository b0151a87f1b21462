"""The Danger Zone's actions, through the real services, database and session store."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import LogEvent, LogType, UserSession
from tests.factories import DEFAULT_PASSWORD, SocialConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = "Brand-New-Pass-9"


def change(client, user, password1=NEW, password2=None, **extra):
    data = {
        "new_password1": password1,
        "new_password2": password2 if password2 is not None else password1,
        "confirm": "on",
        **extra,
    }
    return client.post(reverse("dashboard:user-password-change", args=[user.user_id]), data)


def logged_in_end_user(user) -> Client:
    browser = Client()
    response = browser.post(
        "/u/login",
        {"email": user.email, "password": DEFAULT_PASSWORD, "connection": user.connection.name},
    )
    assert response.status_code == 302
    assert browser.get("/u/login/done").status_code == 200
    return browser


def test_change_password_form_shows_the_connections_rules(staff_client, user):
    response = staff_client.get(reverse("dashboard:user-password-change", args=[user.user_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "At least 8 characters." in html
    assert "Contains at least 3 of:" in html
    assert 'id="password-rules" type="application/json"' in html
    assert 'data-for="id_new_password1"' in html


def test_weak_password_is_refused_with_each_failed_rule_named(staff_client, user):
    response = change(staff_client, user, "short")

    assert response.status_code == 400
    # One heading above the checklist; the checklist itself marks the rules that failed.
    assert response.context["form"].errors["new_password1"] == [
        "Password too weak: the rules it breaks are marked ✗ below."
    ]
    html = response.content.decode()
    assert '<li data-code="password_too_short" class="bad">At least 8 characters.</li>' in html
    assert '<li data-code="password_character_classes" class="bad">' in html
    assert 'class="field-error">At least' not in html
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    event = LogEvent.objects.get(user=user)
    assert event.type == LogType.FAILED_CHANGE_PASSWORD
    assert event.details["rules"] == ["password_too_short", "password_character_classes"]


def test_good_password_is_set_and_logged_with_the_acting_staff_member(
    staff_client, administrator, user
):
    response = change(staff_client, user, reason="Locked out, called the help desk")

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:user-detail", args=[user.user_id])
    user.refresh_from_db()
    assert user.check_password(NEW)
    event = LogEvent.objects.get(user=user, type=LogType.SUCCESS_CHANGE_PASSWORD)
    assert event.actor == administrator
    assert event.details == {"door": "dashboard", "reason": "Locked out, called the help desk"}
    assert NEW not in str(event.details)


def test_mismatched_passwords_are_refused_before_the_service(staff_client, user):
    response = change(staff_client, user, NEW, NEW + "x")

    assert response.status_code == 400
    assert response.context["form"].errors["new_password2"] == ["The two passwords do not match."]
    assert not LogEvent.objects.filter(user=user).exists()


def test_the_user_page_offers_every_action_in_a_dialog_with_the_same_control_order(
    staff_client, user
):
    html = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id])).content
    page = html.decode()

    for action in ["password", "reset-email", "reset-link", "force-sign-in", "block"]:
        start = page.index(f'<dialog id="dialog-{action}"')
        dialog = page[start : page.index("</dialog>", start)]
        names = [n for n in ["new_password1", "reason", "current_password"] if n in dialog]
        positions = [dialog.index(f'name="{n}"') for n in names]
        assert positions == sorted(positions), action
        assert dialog.index('name="current_password"') < dialog.index('type="submit"')
        assert 'name="confirm"' not in dialog
        assert f'data-dialog="dialog-{action}"' in page


def test_unblock_is_styled_as_an_ordinary_action(staff_client):
    user = UserFactory(blocked=True)

    page = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id])).content.decode()

    assert 'class="button secondary" href="/dashboard/users/' in page
    assert '<button type="submit" class="primary-inline">Unblock</button>' in page


def test_dialog_errors_come_back_as_json_without_what_was_typed(staff_client, user):
    response = staff_client.post(
        reverse("dashboard:user-password-change", args=[user.user_id]),
        {"new_password1": "short", "new_password2": "short", "reason": "phone call"},
        HTTP_X_REQUESTED_WITH="fetch",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["new_password1"][0]["message"].startswith("Password too weak")
    assert body["failed_codes"] == ["password_too_short", "password_character_classes"]
    assert "short" not in response.content.decode().replace("password_too_short", "")
    assert "phone call" not in response.content.decode()


def test_dialog_success_answers_where_to_go_next(staff_client, user):
    response = staff_client.post(
        reverse("dashboard:user-block", args=[user.user_id]),
        {"blocked": "1"},
        HTTP_X_REQUESTED_WITH="fetch",
    )

    assert response.json() == {"redirect": reverse("dashboard:user-detail", args=[user.user_id])}
    user.refresh_from_db()
    assert user.blocked


def test_dialog_reset_link_comes_back_as_the_result_to_show(staff_client, user):
    response = staff_client.post(
        reverse("dashboard:user-reset-link", args=[user.user_id]),
        {},
        HTTP_X_REQUESTED_WITH="fetch",
    )

    assert response.status_code == 200
    assert "/u/reset-password?ticket=" in response.json()["html"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_force_sign_in_message_is_pluralised(staff_client, user):
    logged_in_end_user(user)

    response = staff_client.post(
        reverse("dashboard:user-force-sign-in", args=[user.user_id]), {}, follow=True
    )

    assert "Signed out of 1 session." in response.content.decode()


def test_password_change_ends_the_users_existing_browser_session(staff_client, user):
    browser = logged_in_end_user(user)
    assert UserSession.objects.filter(user=user).count() == 1

    change(staff_client, user)

    response = browser.get("/u/login/done")
    assert response.status_code == 302
    assert response["Location"] == "/u/login"
    assert not UserSession.objects.filter(user=user).exists()


def test_staff_must_reenter_their_password_after_ten_minutes(staff_client, user):
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        page = staff_client.get(reverse("dashboard:user-force-sign-in", args=[user.user_id]))
        refused = staff_client.post(
            reverse("dashboard:user-force-sign-in", args=[user.user_id]), {"confirm": "on"}
        )
        wrong = staff_client.post(
            reverse("dashboard:user-force-sign-in", args=[user.user_id]),
            {"confirm": "on", "current_password": "not-mine"},
        )

    assert 'name="current_password"' in page.content.decode()
    assert refused.status_code == 400
    assert "current_password" in refused.context["form"].errors
    assert wrong.context["form"].errors["current_password"] == ["That is not your password."]
    assert not LogEvent.objects.filter(user=user).exists()


def test_reentered_password_lets_the_action_proceed_and_opens_a_new_window(staff_client, user):
    later = timezone.now() + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        done = staff_client.post(
            reverse("dashboard:user-force-sign-in", args=[user.user_id]),
            {"confirm": "on", "current_password": DEFAULT_PASSWORD},
        )
        next_page = staff_client.get(reverse("dashboard:user-block", args=[user.user_id]))

    assert done.status_code == 302
    assert LogEvent.objects.filter(user=user, type=LogType.FORCED_SIGN_IN).exists()
    assert 'name="current_password"' not in next_page.content.decode()


def test_recent_login_needs_no_password_reentry(staff_client, user):
    page = staff_client.get(reverse("dashboard:user-block", args=[user.user_id]))

    assert 'name="current_password"' not in page.content.decode()


def test_force_sign_in_ends_every_session_and_is_logged_with_the_actor(
    staff_client, administrator, user
):
    browser = logged_in_end_user(user)
    stamp = user.security_stamp

    response = staff_client.post(
        reverse("dashboard:user-force-sign-in", args=[user.user_id]),
        {"confirm": "on", "reason": "Lost laptop"},
    )

    assert response.status_code == 302
    assert browser.get("/u/login/done")["Location"] == "/u/login"
    user.refresh_from_db()
    assert user.security_stamp != stamp
    assert not Session.objects.filter(
        session_key__in=UserSession.objects.filter(user=user).values("session_key")
    ).exists()
    event = LogEvent.objects.get(user=user, type=LogType.FORCED_SIGN_IN)
    assert event.actor == administrator
    assert event.details == {"sessions": 1, "refresh_tokens": 0, "reason": "Lost laptop"}


def test_block_then_unblock_is_logged_with_the_actor(staff_client, administrator, user):
    url = reverse("dashboard:user-block", args=[user.user_id])

    staff_client.post(url, {"confirm": "on", "blocked": "1", "reason": "fraud"})
    user.refresh_from_db()
    blocked = user.blocked
    staff_client.post(url, {"confirm": "on", "blocked": "0"})
    user.refresh_from_db()

    assert blocked is True
    assert user.blocked is False
    events = LogEvent.objects.filter(user=user, type=LogType.SUCCESS_API_OPERATION).order_by("id")
    assert [(e.description, e.actor) for e in events] == [
        ("Block user", administrator),
        ("Unblock user", administrator),
    ]


def test_replayed_block_post_stays_blocked(staff_client, user):
    url = reverse("dashboard:user-block", args=[user.user_id])
    staff_client.post(url, {"confirm": "on", "blocked": "1"})

    staff_client.post(url, {"confirm": "on", "blocked": "1"})

    user.refresh_from_db()
    assert user.blocked


def test_social_user_page_says_why_the_password_cannot_be_changed(staff_client):
    social = UserFactory(connection=SocialConnectionFactory())

    html = staff_client.get(
        reverse("dashboard:user-detail", args=[social.user_id])
    ).content.decode()

    assert 'id="password-unsupported"' in html
    assert "its password is not kept here" in html
    assert reverse("dashboard:user-password-change", args=[social.user_id]) not in html


def test_social_user_password_post_is_refused_by_the_service(staff_client):
    social = UserFactory(connection=SocialConnectionFactory())

    response = change(staff_client, social)

    assert response.status_code == 400
    assert "its password is not kept here" in response.content.decode()


def test_direct_set_switched_off_leaves_only_reset(staff_client, user, settings):
    settings.REKEY_ALLOW_DIRECT_PASSWORD_SET = False

    html = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id])).content.decode()
    response = change(staff_client, user)

    assert 'id="password-direct-off"' in html
    assert reverse("dashboard:user-password-change", args=[user.user_id]) not in html
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_never_reaches_the_error_page_or_log(staff_client, user):
    response = change(staff_client, user, "weak-secret-zz")

    assert b"weak-secret-zz" not in response.content
    assert "weak-secret-zz" not in str(list(LogEvent.objects.values()))


def test_danger_pages_are_never_cached(staff_client, user):
    response = staff_client.get(reverse("dashboard:user-password-change", args=[user.user_id]))

    assert "no-store" in response["Cache-Control"]


def test_password_reentry_is_rate_limited_per_staff_member(staff_client, user, settings):
    settings.RATELIMIT_ENABLE = True
    url = reverse("dashboard:user-force-sign-in", args=[user.user_id])

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        answers = [
            staff_client.post(url, {"confirm": "on", "current_password": f"guess-{n}"})
            for n in range(11)
        ]
        right = staff_client.post(url, {"confirm": "on", "current_password": DEFAULT_PASSWORD})

    assert answers[0].context["form"].errors["current_password"] == ["That is not your password."]
    assert answers[-1].context["form"].errors["current_password"] == [
        "Too many attempts. Try again later."
    ]
    assert right.status_code == 400
    assert not LogEvent.objects.filter(user=user, type=LogType.FORCED_SIGN_IN).exists()


def test_the_user_page_says_when_by_whom_and_through_which_door_the_password_changed(
    staff_client, administrator, user
):
    change(staff_client, user)

    html = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id])).content.decode()

    assert "Last password change" in html
    assert f"by {administrator.email}, through the dashboard&#x27;s Danger Zone" in html
