"""The one password service: policy, history, log, sessions ended, signal, hooks."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import LogEvent, LogType, PasswordHistory, UserSession
from accounts.services import (
    Audit,
    DirectSetDisabled,
    Door,
    PasswordNotSupported,
    PasswordPolicyError,
    password_changed,
    password_set,
    sessions_expire,
)
from tests.factories import DEFAULT_PASSWORD, SocialConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = "Fresh-Meadow-93"


def logged_in_client(user, password: str = DEFAULT_PASSWORD) -> Client:
    client = Client()
    response = client.post(
        "/u/login",
        {"email": user.email, "password": password, "connection": user.connection.name},
    )
    assert response.status_code == 302, response.content
    assert client.get("/u/login/done").status_code == 200
    return client


def test_password_set_hashes_with_argon2id_and_records_the_reset(user) -> None:
    password_set(user=user, password=NEW, audit=Audit(door=Door.COMMAND))
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert check_password(NEW, user.password)
    assert user.last_password_reset is not None
    assert PasswordHistory.objects.filter(user=user).count() == 1


def test_password_set_logs_scp_with_the_door_and_actor(user) -> None:
    actor = UserFactory(is_staff=True)
    password_set(
        user=user,
        password=NEW,
        audit=Audit(door=Door.DASHBOARD, actor=actor, reason="asked by phone"),
    )
    event = LogEvent.objects.get(type=LogType.SUCCESS_CHANGE_PASSWORD)
    assert event.user == user
    assert event.actor == actor
    assert event.details == {"door": "dashboard", "reason": "asked by phone"}
    assert NEW not in str(event.details) and NEW not in event.description


def test_weak_password_is_refused_naming_each_rule_and_changes_nothing(user) -> None:
    before = user.password
    with pytest.raises(PasswordPolicyError) as info:
        password_set(user=user, password="short", audit=Audit(door=Door.API))
    assert info.value.message == "PasswordStrengthError: Password is too weak"
    assert {f.code for f in info.value.failures} == {
        "password_too_short",
        "password_character_classes",
    }
    user.refresh_from_db()
    assert user.password == before
    event = LogEvent.objects.get(type=LogType.FAILED_CHANGE_PASSWORD)
    assert event.details["rules"] == ["password_too_short", "password_character_classes"]


def test_social_connection_user_is_refused_with_a_clear_error() -> None:
    user = UserFactory(connection=SocialConnectionFactory(), email="g@example.com")
    with pytest.raises(PasswordNotSupported) as info:
        password_set(user=user, password=NEW, audit=Audit(door=Door.DASHBOARD))
    assert "google-oauth2" in info.value.message
    assert "not kept here" in info.value.message
    assert LogEvent.objects.filter(type=LogType.FAILED_CHANGE_PASSWORD, user=user).exists()


def test_direct_set_can_be_turned_off_but_reset_still_works(user, settings) -> None:
    settings.REKEY_ALLOW_DIRECT_PASSWORD_SET = False
    for door in (Door.API, Door.DASHBOARD, Door.COMMAND):
        with pytest.raises(DirectSetDisabled):
            password_set(user=user, password=NEW, audit=Audit(door=door))
    password_set(user=user, password=NEW, audit=Audit(door=Door.RESET))
    user.refresh_from_db()
    assert check_password(NEW, user.password)


def test_password_change_ends_the_users_other_sessions(user) -> None:
    browser = logged_in_client(user)
    other = UserFactory(connection=user.connection)
    bystander = logged_in_client(other)
    assert UserSession.objects.filter(user=user).count() == 1

    password_set(user=user, password=NEW, audit=Audit(door=Door.COMMAND))

    assert UserSession.objects.filter(user=user).count() == 0
    assert browser.get("/u/login/done").status_code == 302  # signed out
    assert bystander.get("/u/login/done").status_code == 200  # not touched
    assert Session.objects.count() == 1


def test_force_sign_in_ends_sessions_without_changing_the_password(user) -> None:
    browser = logged_in_client(user)
    before = user.password
    assert sessions_expire(user=user, audit=Audit(door=Door.COMMAND, reason="lost laptop")) == 1
    assert browser.get("/u/login/done").status_code == 302
    user.refresh_from_db()
    assert user.password == before
    assert LogEvent.objects.get(type=LogType.FORCED_SIGN_IN).details == {
        "sessions": 1,
        "refresh_tokens": 0,
        "reason": "lost laptop",
    }


def test_password_changed_signal_is_sent_inside_the_change(user) -> None:
    seen = []

    def receiver(sender, user, door, **kwargs):
        seen.append((user.pk, door))

    password_changed.connect(receiver)
    try:
        password_set(user=user, password=NEW, audit=Audit(door=Door.RESET))
    finally:
        password_changed.disconnect(receiver)
    assert seen == [(user.pk, Door.RESET)]


def failing_hook(**kwargs) -> None:
    raise RuntimeError("downstream is down")


def test_a_failing_post_change_hook_is_logged_fcph_and_keeps_the_change(
    user, settings, django_capture_on_commit_callbacks
) -> None:
    settings.REKEY_POST_CHANGE_HOOKS = ["tests.accounts.test_services.failing_hook"]
    with django_capture_on_commit_callbacks(execute=True):
        password_set(user=user, password=NEW, audit=Audit(door=Door.COMMAND))
    user.refresh_from_db()
    assert check_password(NEW, user.password)
    event = LogEvent.objects.get(type=LogType.FAILED_POST_CHANGE_PASSWORD_HOOK)
    assert event.details == {"hook": "tests.accounts.test_services.failing_hook"}
