"""Staff TOTP: setting it up, verifying it each session, and the setting that requires it."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_setup_shows_a_qr_code_and_confirms_with_a_first_code(staff_client, administrator):
    page = staff_client.get("/dashboard/otp/setup")
    device = TOTPDevice.objects.get(user=administrator, confirmed=False)

    response = staff_client.post("/dashboard/otp/setup", {"token": code(device)})

    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert staff_client.get("/dashboard/users/").status_code == 200


def test_a_wrong_setup_code_leaves_the_factor_off(staff_client, administrator):
    staff_client.get("/dashboard/otp/setup")

    response = staff_client.post("/dashboard/otp/setup", {"token": "000000"})

    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=administrator, confirmed=True).exists()


def test_staff_with_a_factor_must_verify_it_in_a_new_session(client, administrator):
    device = TOTPDevice.objects.create(user=administrator, confirmed=True, name="app")
    client.force_login(administrator)

    blocked = client.get("/dashboard/users/")
    verified = client.post("/dashboard/otp/verify?next=/dashboard/users/", {"token": code(device)})

    assert blocked.status_code == 302
    assert blocked["Location"] == "/dashboard/otp/verify?next=%2Fdashboard%2Fusers%2F"
    assert verified.status_code == 302
    assert verified["Location"] == "/dashboard/users/"
    assert client.get("/dashboard/users/").status_code == 200


def test_a_wrong_code_does_not_verify(client, administrator):
    TOTPDevice.objects.create(user=administrator, confirmed=True, name="app")
    client.force_login(administrator)

    response = client.post("/dashboard/otp/verify", {"token": "123456"})

    assert response.status_code == 400
    assert client.get("/dashboard/users/").status_code == 302


def test_required_setting_sends_staff_without_a_factor_to_setup(staff_client, settings):
    settings.REKEY_REQUIRE_STAFF_OTP = True

    response = staff_client.get("/dashboard/users/")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/otp/setup?next=%2Fdashboard%2Fusers%2F"


def test_verify_redirect_only_goes_inside_the_dashboard(client, administrator):
    device = TOTPDevice.objects.create(user=administrator, confirmed=True, name="app")
    client.force_login(administrator)

    response = client.post(
        "/dashboard/otp/verify?next=https://evil.example/dashboard/", {"token": code(device)}
    )

    assert response["Location"] == "/dashboard/"
