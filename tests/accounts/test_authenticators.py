"""A second factor: end users enrol an authenticator on /u/account, the reset flow asks for it
after the link and before the new password, and staff or the API remove it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import Audit, Door
from accounts.models import LogEvent
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from tickets.services import ticket_issue

pytestmark = pytest.mark.django_db
NEW = "Brand-New-Pass-9"


@pytest.fixture
def user(connection):
    return UserFactory(connection=connection, email="ada@example.com")


def code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=static, token="abcde12345")
    return device


def signed_in(user) -> Client:
    browser = Client()
    browser.post(
        "/u/login",
        {"email": user.email, "password": DEFAULT_PASSWORD, "connection": user.connection.name},
    )
    return browser


def test_enrol_an_authenticator_and_get_recovery_codes(user):
    browser = signed_in(user)
    started = browser.post("/u/account", {"action": "totp-start"})
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    confirmed = browser.post("/u/account", {"action": "totp-confirm", "token": code(device)})

    assert 'id="totp-secret"' in started.content.decode()
    assert confirmed.status_code == 200
    assert 'id="recovery-codes"' in confirmed.content.decode()
    assert TOTPDevice.objects.get(user=user).confirmed
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert LogEvent.objects.filter(user=user, type="gd_enrollment_complete").count() == 1


def test_a_wrong_enrolment_code_is_refused(user):
    browser = signed_in(user)
    browser.post("/u/account", {"action": "totp-start"})

    response = browser.post("/u/account", {"action": "totp-confirm", "token": "000000"})

    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def open_link(client, user):
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    client.get("/u/reset-password", {"ticket": token})


def test_the_reset_asks_for_the_second_factor_before_the_new_password(client, user):
    enrolled(user)
    open_link(client, user)

    page = client.get("/u/reset-password/set")
    refused = client.post("/u/reset-password/set", {"password": NEW, "password2": NEW})

    assert page.status_code == 302
    assert page["Location"] == "/u/reset-password/mfa"
    assert refused.status_code == 403
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_current_code_lets_the_reset_go_on(client, user):
    device = enrolled(user)
    open_link(client, user)

    passed = client.post("/u/reset-password/mfa", {"code": code(device)})
    done = client.post("/u/reset-password/set", {"password": NEW, "password2": NEW})

    assert passed.status_code == 302
    assert done.status_code == 303  # post/redirect/get to the done page
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert LogEvent.objects.filter(user=user, type="gd_auth_succeed").count() == 1


def test_a_recovery_code_works_once(client, user):
    enrolled(user)
    open_link(client, user)

    passed = client.post("/u/reset-password/mfa", {"code": "abcde12345"})
    other = Client()
    open_link(other, user)
    again = other.post("/u/reset-password/mfa", {"code": "abcde12345"})

    assert passed.status_code == 302
    assert again.status_code == 400
    assert LogEvent.objects.filter(user=user, type="gd_recovery_succeed").count() == 1


def test_a_wrong_code_is_refused_and_logged(client, user):
    enrolled(user)
    open_link(client, user)

    response = client.post("/u/reset-password/mfa", {"code": "000000"})

    assert response.status_code == 400
    assert LogEvent.objects.filter(user=user, type="gd_auth_failed").count() == 1
    assert client.get("/u/reset-password/set").status_code == 302


def test_without_an_authenticator_the_reset_is_as_before(client, user):
    open_link(client, user)

    assert client.get("/u/reset-password/set").status_code == 200


def test_staff_remove_authenticators_from_the_danger_zone(client, user):
    enrolled(user)
    staff = StaffFactory()
    client.force_login(staff)

    response = client.post(
        reverse("dashboard:user-authenticators-delete", args=[user.user_id]),
        {"confirm": "on", "reason": "Lost phone"},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    event = LogEvent.objects.get(user=user, type="gd_unenroll")
    assert event.actor == staff
    assert event.details["reason"] == "Lost phone"


def test_delete_authenticators_through_the_management_api(api, api_with, user):
    enrolled(user)

    refused = api_with("read:users").delete(f"/api/v2/users/{user.user_id}/authenticators")
    response = api.delete(f"/api/v2/users/{user.user_id}/authenticators")

    assert refused.status_code == 403
    assert response.status_code == 204
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_the_api_does_not_reach_staff_authenticators(api):
    staff = StaffFactory()
    TOTPDevice.objects.create(user=staff, name="staff", confirmed=True)

    response = api.delete(f"/api/v2/users/{staff.user_id}/authenticators")

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=staff).exists()
