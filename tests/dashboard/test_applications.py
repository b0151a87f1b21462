"""Applications: settings, Management API grant, client secret rotation shown once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Application, ClientGrant, LogEvent, LogType
from accounts.scopes import management_audience
from accounts.services import application_secret_check
from tests.factories import DEFAULT_PASSWORD, ApplicationFactory, ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(connection):
    return ApplicationFactory(connections=[connection])


def test_administrator_saves_origins_route_connections_and_language(
    staff_client, administrator, application
):
    employees = ConnectionFactory(name="Employees")

    response = staff_client.post(
        reverse("dashboard:application-detail", args=[application.client_id]),
        {
            "name": "Shop",
            "allowed_origins_text": "https://shop.example.com/\nhttp://localhost:3000",
            "default_login_route": "https://shop.example.com/login",
            "enabled_connections": [employees.id],
            "language": "ja",
        },
    )

    assert response.status_code == 302
    application = Application.objects.get(pk=application.pk)
    assert application.name == "Shop"
    assert application.allowed_origins == ["https://shop.example.com", "http://localhost:3000"]
    assert application.default_login_route == "https://shop.example.com/login"
    assert list(application.enabled_connections.all()) == [employees]
    assert application.language == "ja"
    event = LogEvent.objects.get(type=LogType.SUCCESS_API_OPERATION)
    assert (event.description, event.actor, event.client_id) == (
        "Update application",
        administrator,
        application.client_id,
    )


def test_an_origin_with_a_path_is_refused(staff_client, application):
    response = staff_client.post(
        reverse("dashboard:application-detail", args=[application.client_id]),
        {"name": "Shop", "allowed_origins_text": "https://shop.example.com/app"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["allowed_origins_text"] == [
        "https://shop.example.com/app has a path; an origin has none."
    ]


def test_rotated_secret_is_shown_once_and_works(staff_client, administrator, application):
    url = reverse("dashboard:application-secret-rotate", args=[application.client_id])

    detail = reverse("dashboard:application-detail", args=[application.client_id])
    response = staff_client.post(url, {"confirm": "on"})

    # A redirect: a refresh of the page that shows the secret does not rotate it again.
    assert (response.status_code, response["Location"]) == (302, detail)
    shown = staff_client.get(detail)
    secret = shown.context["new_secret"]
    assert secret and secret in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    application.refresh_from_db()
    assert application_secret_check(application=application, secret=secret)
    assert secret not in application.client_secret_hash
    again = staff_client.get(reverse("dashboard:application-detail", args=[application.client_id]))
    assert secret not in again.content.decode()
    event = LogEvent.objects.get(description="Rotate client secret")
    assert event.actor == administrator
    assert secret not in str(event.details)


def test_secret_rotation_asks_for_the_password_after_ten_minutes(staff_client, application):
    url = reverse("dashboard:application-secret-rotate", args=[application.client_id])
    old_hash = application.client_secret_hash

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        refused = staff_client.post(url, {"confirm": "on"})
        accepted = staff_client.post(url, {"confirm": "on", "current_password": DEFAULT_PASSWORD})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    application.refresh_from_db()
    assert application.client_secret_hash != old_hash


def test_grant_scopes_on_the_management_api_then_remove_it(staff_client, application):
    url = reverse("dashboard:application-grant", args=[application.client_id])

    staff_client.post(url, {"enabled": "on", "scopes": ["read:users", "delete:sessions"]})
    grant = ClientGrant.objects.get(application=application)
    staff_client.post(url, {"scopes": ["read:users"]})

    assert grant.audience == management_audience()
    assert grant.scopes == ["delete:sessions", "read:users"]
    assert not ClientGrant.objects.filter(application=application).exists()


def test_unknown_scope_is_refused(staff_client, application):
    response = staff_client.post(
        reverse("dashboard:application-grant", args=[application.client_id]),
        {"enabled": "on", "scopes": ["delete:everything"]},
    )

    assert response.status_code == 400
    assert not ClientGrant.objects.exists()


def test_enabled_connections_are_a_fieldset_with_the_label_above_its_checkboxes(staff_client):
    from tests.factories import ApplicationFactory

    application = ApplicationFactory()

    html = staff_client.get(f"/dashboard/applications/{application.client_id}/").content.decode()

    assert '<fieldset class="checks field" data-field="enabled_connections">' in html
    assert "<legend>Enabled connections</legend>" in html
    assert '<option value="ja"' in html  # the email language is a choice


CREATE = {
    "name": "Billing backend",
    "app_type": "non_interactive",
    "callbacks": "",
    "allowed_logout_urls": "",
    "web_origins": "",
    "allowed_origins_text": "",
    "default_login_route": "",
    "language": "",
}


def test_administrator_creates_an_application_and_sees_its_secret_once(
    staff_client, administrator, connection, client
):
    response = staff_client.post(
        reverse("dashboard:application-create"),
        {**CREATE, "enabled_connections": [connection.id]},
    )

    application = Application.objects.get(name="Billing backend")
    detail = reverse("dashboard:application-detail", args=[application.client_id])
    assert (response.status_code, response["Location"]) == (302, detail)
    # Between the redirect and the page the secret is sealed in the session, never in clear.
    from importlib import import_module

    from django.conf import settings

    engine = import_module(settings.SESSION_ENGINE)
    stored = engine.SessionStore(session_key=staff_client.session.session_key)
    assert "dashboard.new_client_secret" in stored.load()
    shown = staff_client.get(detail)
    secret = shown.context["new_secret"]
    assert len(secret) >= 48 and secret in shown.content.decode()
    assert secret not in str(stored.load())
    assert "no-store" in shown["Cache-Control"]
    assert secret not in staff_client.get(detail).content.decode()  # once only
    application.refresh_from_db()
    assert application.app_type == "non_interactive"
    assert list(application.enabled_connections.all()) == [connection]
    assert application_secret_check(application=application, secret=secret)
    event = LogEvent.objects.get(description="Create application")
    assert (event.type, event.actor, event.client_id, event.client_name) == (
        LogType.SUCCESS_API_OPERATION,
        administrator,
        application.client_id,
        "Billing backend",
    )
    assert event.details == {
        "name": "Billing backend",
        "app_type": "non_interactive",
        "allowed_origins": [],
        "callbacks": [],
        "enabled_connections": [connection.name],
    }
    # The secret is the application's: /oauth/token knows it (no grant yet: access_denied).
    token = {
        "grant_type": "client_credentials",
        "client_id": application.client_id,
        "audience": management_audience(),
    }
    right = client.post("/oauth/token", {**token, "client_secret": secret}, "application/json")
    wrong = client.post("/oauth/token", {**token, "client_secret": "x"}, "application/json")
    assert (right.status_code, right.json()["error"]) == (403, "access_denied")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "access_denied")


def test_a_single_page_application_gets_its_callbacks_and_no_secret(staff_client, connection):
    response = staff_client.post(
        reverse("dashboard:application-create"),
        {
            **CREATE,
            "name": "Shop SPA",
            "app_type": "spa",
            "callbacks": "https://shop.example.com/callback",
            "allowed_logout_urls": "https://shop.example.com",
            "web_origins": "https://shop.example.com/",
            "allowed_origins_text": "https://shop.example.com",
            "default_login_route": "https://shop.example.com/login",
            "language": "ja",
            "enabled_connections": [connection.id],
        },
    )

    application = Application.objects.get(name="Shop SPA")
    assert response.status_code == 302
    assert (application.client_secret_hash, application.language) == ("", "ja")
    assert application.callbacks == ["https://shop.example.com/callback"]
    assert application.allowed_logout_urls == ["https://shop.example.com"]
    assert application.web_origins == ["https://shop.example.com"]
    assert application.allowed_origins == ["https://shop.example.com"]
    assert application.default_login_route == "https://shop.example.com/login"
    page = staff_client.get(response["Location"])
    assert page.context["new_secret"] == ""
    assert 'id="new-secret-box"' not in page.content.decode()


def test_a_wildcard_callback_is_refused_and_the_form_keeps_what_was_typed(staff_client):
    response = staff_client.post(
        reverse("dashboard:application-create"),
        {**CREATE, "app_type": "spa", "callbacks": "https://*.example.com/callback"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["callbacks"] == [
        "https://*.example.com/callback is not a URL."
    ]
    assert 'value="Billing backend"' in response.content.decode()
    assert not Application.objects.filter(name="Billing backend").exists()
    assert not LogEvent.objects.filter(description="Create application").exists()


def test_a_viewer_can_neither_open_nor_post_the_new_application_form(viewer_client):
    listing = viewer_client.get(reverse("dashboard:application-list")).content.decode()

    assert viewer_client.get(reverse("dashboard:application-create")).status_code == 403
    assert viewer_client.post(reverse("dashboard:application-create"), CREATE).status_code == 403
    assert not Application.objects.filter(name="Billing backend").exists()
    assert 'id="application-new"' not in listing


def test_the_list_offers_administrators_a_new_application(staff_client):
    listing = staff_client.get(reverse("dashboard:application-list")).content.decode()

    assert f'href="{reverse("dashboard:application-create")}" id="application-new"' in listing
