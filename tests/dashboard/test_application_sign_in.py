"""The application page's sign-in settings (callbacks, logout URLs, web origins, grants, refresh
tokens), saved by administrators through accounts.services.application_sign_in_update."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import LogEvent
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_administrator_saves_sign_in_settings(staff_client, connection):
    app = ApplicationFactory(connections=[connection])

    response = staff_client.post(
        reverse("dashboard:application-sign-in", args=[app.client_id]),
        {
            "callbacks": "https://shop.example.com/callback",
            "allowed_logout_urls": "https://shop.example.com",
            "web_origins": "https://shop.example.com/",
            "grant_types": ["authorization_code", "refresh_token"],
            "refresh_token_rotation": "non-rotating",
            "refresh_token_lifetime": "86400",
            "refresh_token_idle_lifetime": "3600",
        },
    )

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.callbacks == ["https://shop.example.com/callback"]
    assert app.web_origins == ["https://shop.example.com"]
    assert app.grant_types == ["authorization_code", "refresh_token"]
    assert app.refresh_token_rotation == "non-rotating"
    assert app.refresh_token_idle_lifetime == 3600
    assert LogEvent.objects.filter(description="Update application sign-in settings").count() == 1


def test_a_wildcard_callback_is_refused(staff_client, connection):
    app = ApplicationFactory(connections=[connection])

    response = staff_client.post(
        reverse("dashboard:application-sign-in", args=[app.client_id]),
        {
            "callbacks": "https://*.example.com/callback",
            "refresh_token_rotation": "rotating",
            "refresh_token_lifetime": "86400",
            "refresh_token_idle_lifetime": "3600",
        },
    )

    assert response.status_code == 400
    app.refresh_from_db()
    assert app.callbacks == []


def test_the_application_page_shows_the_sign_in_settings(staff_client, connection):
    app = ApplicationFactory(connections=[connection], callbacks=["https://a.example/cb"])

    response = staff_client.get(reverse("dashboard:application-detail", args=[app.client_id]))

    assert b'id="sign-in-form"' in response.content
    assert b"https://a.example/cb" in response.content
