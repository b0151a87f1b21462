"""Staff passwords: one's own change, an administrator's reset of another, the break-glass command.

Staff are out of reach of every tenant door, so these are the only ways their passwords change.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import LogEvent, LogType, UserSession
from tests.factories import DEFAULT_PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

NEW = "Staff-New-Pass-2026"
ACCOUNT_URL = "/dashboard/account/password"


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def staff_session(staff, password: str = DEFAULT_PASSWORD) -> Client:
    browser = Client()
    response = browser.post("/dashboard/login", {"email": staff.email, "password": password})
    assert response.status_code == 302, response.content
    return browser


def test_staff_change_their_own_password_and_stay_signed_in_here_only(administrator):
    here = staff_session(administrator)
    elsewhere = staff_session(administrator)

    response = here.post(
        ACCOUNT_URL,
        {"current_password": DEFAULT_PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302
    administrator.refresh_from_db()
    assert administrator.check_password(NEW)
    assert here.get("/dashboard/users/").status_code == 200
    assert elsewhere.get("/dashboard/users/").status_code == 302
    assert UserSession.objects.filter(user=administrator).count() == 1
    event = LogEvent.objects.get(type=LogType.SUCCESS_CHANGE_PASSWORD, user=administrator)
    assert event.details["door"] == "account"
    assert event.actor == administrator


def test_a_wrong_current_password_changes_nothing(administrator):
    browser = staff_session(administrator)

    response = browser.post(
        ACCOUNT_URL, {"current_password": "not-mine", "new_password1": NEW, "new_password2": NEW}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["current_password"] == ["That is not your password."]
    administrator.refresh_from_db()
    assert administrator.check_password(DEFAULT_PASSWORD)


def test_the_staff_realm_policy_applies_to_their_own_change(administrator):
    browser = staff_session(administrator)

    response = browser.post(
        ACCOUNT_URL,
        {"current_password": DEFAULT_PASSWORD, "new_password1": "short", "new_password2": "short"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["new_password1"]
    assert LogEvent.objects.filter(type=LogType.FAILED_CHANGE_PASSWORD).count() == 1


def test_with_a_second_factor_the_own_change_needs_a_fresh_code(administrator):
    device = TOTPDevice.objects.create(user=administrator, confirmed=True, name="app")
    browser = staff_session(administrator)
    assert browser.post("/dashboard/otp/verify", {"token": code(device)}).status_code == 302
    data = {"current_password": DEFAULT_PASSWORD, "new_password1": NEW, "new_password2": NEW}

    without = browser.post(ACCOUNT_URL, data)
    wrong = browser.post(ACCOUNT_URL, {**data, "otp_token": "000000"})
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        right = browser.post(ACCOUNT_URL, {**data, "otp_token": code(device)})

    assert without.status_code == wrong.status_code == 400
    assert "otp_token" in without.context["form"].errors
    assert right.status_code == 302
    administrator.refresh_from_db()
    assert administrator.check_password(NEW)


def test_an_administrator_resets_another_staff_member_after_reauth_and_it_is_logged(
    staff_client, administrator
):
    colleague = StaffFactory(staff_role="viewer")
    their_session = staff_session(colleague)
    url = reverse("dashboard:staff-password-reset", args=[colleague.user_id])
    data = {"new_password1": NEW, "new_password2": NEW, "confirm": "on", "reason": "locked out"}

    # Past the re-authentication window the administrator must type their own password.
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        refused = staff_client.post(url, data)
        done = staff_client.post(url, {**data, "current_password": DEFAULT_PASSWORD})

    assert refused.status_code == 400
    assert "current_password" in refused.context["form"].errors
    assert done.status_code == 302
    assert done["Location"] == reverse("dashboard:staff-list")
    colleague.refresh_from_db()
    assert colleague.check_password(NEW)
    assert their_session.get("/dashboard/users/").status_code == 302
    event = LogEvent.objects.get(type=LogType.SUCCESS_CHANGE_PASSWORD, user=colleague)
    assert (event.actor, event.details["door"], event.details["reason"]) == (
        administrator,
        "dashboard",
        "locked out",
    )


def test_a_viewer_cannot_reset_staff_passwords(viewer_client):
    colleague = StaffFactory()
    url = reverse("dashboard:staff-password-reset", args=[colleague.user_id])

    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, {"new_password1": NEW, "new_password2": NEW}).status_code == 403


def test_an_administrator_cannot_reset_their_own_password_without_the_current_one(
    staff_client, administrator
):
    url = reverse("dashboard:staff-password-reset", args=[administrator.user_id])

    assert staff_client.get(url).status_code == 404


def test_the_staff_page_lists_staff_and_never_tenant_users(staff_client, administrator, user):
    response = staff_client.get(reverse("dashboard:staff-list"))

    html = response.content.decode()
    assert administrator.email in html
    assert user.email not in html
    # ... and the users' list never shows staff.
    listed = staff_client.get("/dashboard/users/").context["page"].items
    assert [u.email for u in listed] == [user.email]


def test_changepassword_is_the_break_glass_path_for_staff(tmp_path, administrator):
    browser = staff_session(administrator)
    secret = tmp_path / "pw"
    secret.write_text(NEW + "\n")

    call_command("changepassword", administrator.email, password_file=str(secret))

    administrator.refresh_from_db()
    assert administrator.check_password(NEW)
    assert browser.get("/dashboard/users/").status_code == 302
    assert Session.objects.count() == 0
    staff_session(administrator, NEW)


def test_staff_choose_the_time_zone_the_dashboard_shows_times_in(staff_client):
    from accounts.events import log_event
    from accounts.models import LogType

    log_event(type=LogType.SUCCESS_LOGIN, description="Login")

    utc = staff_client.get("/dashboard/logs/").content.decode()
    response = staff_client.post("/dashboard/account/timezone", {"timezone": "Asia/Tokyo"})
    tokyo = staff_client.get("/dashboard/logs/").content.decode()
    refused = staff_client.post("/dashboard/account/timezone", {"timezone": "Mars/Olympus"})

    assert response.status_code == 302
    assert " UTC</time>" in utc
    assert " JST</time>" in tokyo
    assert refused.status_code == 302
    assert " JST</time>" in staff_client.get("/dashboard/logs/").content.decode()
