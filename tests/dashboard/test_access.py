"""Who may reach the dashboard, and who may change anything: checked on the server."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Application, ClientGrant, Connection, LogEvent
from emails.models import EmailDelivery, EmailTemplate
from tests.factories import ApplicationFactory, UserFactory
from tickets.models import PasswordChangeTicket

pytestmark = pytest.mark.django_db

ACTIONS = [
    "user-password-change",
    "user-reset-email",
    "user-reset-link",
    "user-force-sign-in",
    "user-block",
    "user-authenticators-delete",
]


def test_anonymous_visitor_is_sent_to_the_staff_login_with_next(client):
    response = client.get("/dashboard/users/?q=a")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/login?next=%2Fdashboard%2Fusers%2F%3Fq%3Da"


def test_end_user_without_staff_flag_is_told_the_account_has_no_dashboard_access(client, user):
    client.force_login(user)

    response = client.get("/dashboard/")

    assert response.status_code == 403
    assert b"This account has no dashboard access" in response.content
    assert user.email.encode() in response.content
    assert b'action="/u/logout"' in response.content


def test_staff_member_whose_role_was_removed_gets_the_no_access_page(client, administrator):
    client.force_login(administrator)
    administrator.is_staff = False
    administrator.save(update_fields=["is_staff"])

    response = client.get("/dashboard/users/")

    assert response.status_code == 403
    assert b"This account has no dashboard access" in response.content


def test_login_with_next_brings_staff_back_to_the_dashboard(client, administrator):
    response = client.post(
        "/dashboard/login?next=/dashboard/users/",
        {
            "email": administrator.email,
            "password": "Correct-Horse-42",
            "next": "/dashboard/users/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/users/"
    assert client.get("/dashboard/users/").status_code == 200


def test_viewer_sees_the_user_page_with_every_danger_zone_action_disabled(viewer_client, user):
    response = viewer_client.get(reverse("dashboard:user-detail", args=[user.user_id]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Danger Zone" in html
    assert 'id="danger-viewer-note"' in html
    for name in ACTIONS:
        assert reverse(f"dashboard:{name}", args=[user.user_id]) not in html
    assert html.count('class="danger" disabled') == 6


def test_administrator_sees_the_danger_zone_actions_as_links(staff_client, user):
    html = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id])).content.decode()

    for name in ACTIONS:
        assert reverse(f"dashboard:{name}", args=[user.user_id]) in html


@pytest.mark.parametrize("name", ACTIONS)
def test_viewer_cannot_even_open_a_danger_zone_form(viewer_client, user, name):
    response = viewer_client.get(reverse(f"dashboard:{name}", args=[user.user_id]))

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "user-password-change",
            {"new_password1": "Brand-New-Pass-9", "new_password2": "Brand-New-Pass-9"},
        ),
        ("user-reset-email", {}),
        ("user-reset-link", {}),
        ("user-force-sign-in", {}),
        ("user-block", {"blocked": "1"}),
    ],
)
def test_forged_danger_zone_post_from_a_viewer_is_refused_and_changes_nothing(
    viewer_client, user, name, data
):
    before = (user.password, user.security_stamp, user.blocked)

    response = viewer_client.post(
        reverse(f"dashboard:{name}", args=[user.user_id]),
        {"confirm": "on", "reason": "forged", "current_password": "Correct-Horse-42", **data},
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert (user.password, user.security_stamp, user.blocked) == before
    assert not LogEvent.objects.filter(user=user).exists()
    assert not PasswordChangeTicket.objects.exists()
    assert not EmailDelivery.objects.exists()


def test_forged_settings_posts_from_a_viewer_are_refused(viewer_client, connection):
    application = ApplicationFactory()
    secret_hash = application.client_secret_hash
    posts = [
        (
            reverse("dashboard:connection-detail", args=[connection.id]),
            {"password_policy": "none", "history_size": 0},
        ),
        (
            reverse("dashboard:application-detail", args=[application.client_id]),
            {"name": "Renamed", "allowed_origins_text": "https://evil.example"},
        ),
        (
            reverse("dashboard:application-grant", args=[application.client_id]),
            {"enabled": "on", "scopes": ["read:users"]},
        ),
        (
            reverse("dashboard:application-secret-rotate", args=[application.client_id]),
            {"confirm": "on", "current_password": "Correct-Horse-42"},
        ),
    ]

    template_edit = {"subject": "Pwned", "body": "<p>x</p>", "url_lifetime_in_seconds": "3600"}
    posts += [
        (reverse("dashboard:email-template-detail", args=["reset_email", "en"]), template_edit),
        (reverse("dashboard:email-template-test", args=["reset_email", "en"]), template_edit),
    ]

    statuses = [viewer_client.post(url, data).status_code for url, data in posts]

    assert statuses == [403] * 6
    assert EmailTemplate.objects.get(name="reset_email", language="en").subject != "Pwned"
    assert not EmailDelivery.objects.exists()
    assert Connection.objects.get(pk=connection.pk).password_policy == "good"
    application = Application.objects.get(pk=application.pk)
    assert application.name != "Renamed"
    assert application.client_secret_hash == secret_hash
    assert not ClientGrant.objects.filter(application=application).exists()


def test_end_user_cannot_post_to_the_dashboard_either(client, connection):
    user = UserFactory(connection=connection)
    target = UserFactory(connection=connection)
    client.force_login(user)

    response = client.post(
        reverse("dashboard:user-block", args=[target.user_id]), {"confirm": "on", "blocked": "1"}
    )

    assert response.status_code == 403
    target.refresh_from_db()
    assert not target.blocked


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/password_change/"])
def test_the_django_admin_is_gone(staff_client, path):
    # It skipped the second factor and the audit, showed TOTP keys, took one-character
    # passwords past password_set, and let audit rows be deleted.
    assert staff_client.get(path).status_code == 404


def test_a_missing_page_is_a_styled_404_with_the_favicon(staff_client):
    response = staff_client.get("/dashboard/users/no-such-user/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'rel="icon" href="/static/favicon.svg"' in html


def test_a_refused_write_is_a_styled_403(viewer_client, user):
    response = viewer_client.post(reverse("dashboard:user-block", args=[user.user_id]), {})

    assert response.status_code == 403
    assert "only administrators change anything" in response.content.decode()
