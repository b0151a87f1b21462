"""GET/PATCH /api/v2/tenants/settings, and the settings in every email."""

from __future__ import annotations

import pytest

from accounts.models import LogEvent, TenantSettings
from emails.models import EmailDelivery, EmailTemplate
from emails.services import template_email_enqueue
from tests.management_api import error

pytestmark = pytest.mark.django_db
URL = "/api/v2/tenants/settings"
DEFAULTS = {
    "friendly_name": "",
    "support_email": "",
    "support_url": "",
    "default_language": "en",
    "enabled_locales": ["en"],
    "change_password": {"enabled": False, "html": ""},
}
CHANGES = {
    "friendly_name": "Acme",
    "support_email": "help@acme.example",
    "support_url": "https://acme.example/help",
    "default_language": "ja",
    "enabled_locales": ["ja", "en"],
    "change_password": {"enabled": True},
}


def test_get_answers_the_defaults_before_any_change(api):
    response = api.get(URL)

    assert response.status_code == 200
    assert response.json() == DEFAULTS


def test_patch_changes_them_and_logs_once(api, m2m):
    response = api.patch(URL, CHANGES)

    expected = {**CHANGES, "change_password": {"enabled": True, "html": ""}}
    assert response.status_code == 200
    assert response.json() == expected
    assert api.get(URL).json() == expected
    assert TenantSettings.objects.count() == 1
    event = LogEvent.objects.get()
    assert (event.type, event.description) == ("sapi", "Update tenant settings")
    assert event.client_id == m2m.client_id
    assert event.details == {"fields": sorted(CHANGES)}


def test_patch_twice_keeps_one_row_and_what_was_not_sent(api):
    api.patch(URL, CHANGES)

    response = api.patch(URL, {"support_url": "https://acme.example/support"})

    assert response.json()["friendly_name"] == "Acme"
    assert response.json()["support_url"] == "https://acme.example/support"
    assert TenantSettings.objects.count() == 1


def test_get_with_fields(api):
    api.patch(URL, CHANGES)

    assert api.get(URL, {"fields": "friendly_name"}).json() == {"friendly_name": "Acme"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"support_email": "nope"}, "'Enter a valid email address.' on property support_email"),
        ({"sandbox_version": "18"}, "'Additional properties not allowed: sandbox_version'"),
    ],
)
def test_patch_refuses_what_it_cannot_keep(api, body, message):
    response = api.patch(URL, body)

    assert response.status_code == 400
    assert response.json() == error(400, f"Payload validation error: {message}.", "invalid_body")


def test_settings_need_their_scopes(api_with):
    read = api_with("update:tenant_settings").get(URL)
    write = api_with("read:tenant_settings").patch(URL, CHANGES)

    assert read.status_code == write.status_code == 403
    assert not TenantSettings.objects.exists()


def test_templates_render_tenant_support_email_and_support_url(api, user):
    # Before: these rendered empty.
    api.patch(URL, CHANGES)
    EmailTemplate.objects.create(
        name="welcome_email",
        language="en",
        subject="Welcome to {{ tenant }}",
        body="<p>{{ friendly_name }}: {{ support_email }} {{ support_url }}</p>",
    )

    template_email_enqueue(name="welcome_email", user=user)

    delivery = EmailDelivery.objects.get()
    assert delivery.subject == "Welcome to Acme"
    assert "Acme: help@acme.example https://acme.example/help" in delivery.html_body


def test_tenant_falls_back_to_the_public_urls_host(user):
    EmailTemplate.objects.create(
        name="welcome_email", language="en", subject="{{ tenant }}", body="<p>x</p>"
    )

    template_email_enqueue(name="welcome_email", user=user)

    assert EmailDelivery.objects.get().subject == "127.0.0.1"
