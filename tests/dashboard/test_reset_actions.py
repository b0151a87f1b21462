"""Send-reset and generate-link from the Danger Zone produce tickets that really work."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import LogEvent, LogType
from emails.models import DeliveryStatus, EmailDelivery, InboxMessage
from tests.emails.worker import run_worker
from tests.factories import SocialConnectionFactory, UserFactory
from tickets.models import PasswordChangeTicket, TicketDoor

pytestmark = pytest.mark.django_db(transaction=False)

NEW = "Fresh-Start-2026!"
LINK = re.compile(r"https?://[^\s\"'<>]+/u/reset-password\?ticket=[A-Za-z0-9_\-]+")


@pytest.fixture(autouse=True)
def _local_inbox(settings):
    # Django's test set-up swaps the mailers for locmem; put back the product's default.
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}


def redeem(link: str, password: str = NEW) -> Client:
    browser = Client()
    path = link.split("://", 1)[1].split("/", 1)[1]
    first = browser.get("/" + path)
    assert first.status_code == 302
    assert first["Location"].startswith("/u/reset-password/set")
    done = browser.post("/u/reset-password/set", {"password": password, "password2": password})
    assert done.status_code in {200, 302, 303}
    return browser


def test_send_reset_email_delivers_the_self_service_email_with_a_working_link(
    staff_client, administrator, user
):
    response = staff_client.post(
        reverse("dashboard:user-reset-email", args=[user.user_id]),
        {"confirm": "on", "reason": "asked by phone"},
    )
    run_worker()

    assert response.status_code == 302
    delivery = EmailDelivery.objects.get(user=user)
    assert (delivery.template_name, delivery.status) == ("reset_email", DeliveryStatus.SENT)
    message = InboxMessage.objects.get()
    link = LINK.search(message.text_body).group(0)
    ticket = PasswordChangeTicket.objects.get(user=user)
    assert (ticket.door, ticket.created_by) == (TicketDoor.DASHBOARD, administrator)
    redeem(link)
    user.refresh_from_db()
    assert user.check_password(NEW)
    # One row for the action: the request's scpr, with the actor and the reason.
    event = LogEvent.objects.get(user=user, type=LogType.SUCCESS_CHANGE_PASSWORD_REQUEST)
    assert (event.actor, event.details) == (
        administrator,
        {"door": "dashboard", "reason": "asked by phone"},
    )
    assert LogEvent.objects.filter(user=user, type=LogType.SUCCESS_API_OPERATION).count() == 0


def test_send_reset_email_to_a_blocked_user_says_why_nothing_went(staff_client, connection):
    blocked = UserFactory(connection=connection, blocked=True)

    response = staff_client.post(
        reverse("dashboard:user-reset-email", args=[blocked.user_id]), {"confirm": "on"}
    )
    run_worker()

    assert response.status_code == 400
    assert "No email was sent: User is blocked." in response.content.decode()
    assert not EmailDelivery.objects.exists()


def test_generated_link_is_shown_once_with_a_warning_and_works(staff_client, administrator, user):
    response = staff_client.post(
        reverse("dashboard:user-reset-link", args=[user.user_id]),
        {"confirm": "on", "reason": "user at the desk with ID"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert 'id="identity-warning"' in html
    link = response.context["ticket_link"]
    assert link.startswith("http://")
    assert f'value="{link}"' in html
    again = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id]))
    assert link.rsplit("=", 1)[1] not in again.content.decode()
    event = LogEvent.objects.get(user=user)  # the one row of the action
    assert (event.type, event.description, event.actor) == (
        LogType.SUCCESS_API_OPERATION,
        "Create a password change ticket",
        administrator,
    )
    assert event.details["reason"] == "user at the desk with ID"
    assert link.rsplit("=", 1)[1] not in str(event.details)
    redeem(link)
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_a_new_link_revokes_the_previous_one(staff_client, user):
    url = reverse("dashboard:user-reset-link", args=[user.user_id])
    first = staff_client.post(url, {"confirm": "on"}).context["ticket_link"]
    staff_client.post(url, {"confirm": "on"})

    browser = Client()
    response = browser.get("/" + first.split("://", 1)[1].split("/", 1)[1])

    assert response.status_code == 400
    assert PasswordChangeTicket.objects.filter(user=user, revoked_at__isnull=False).count() == 1


def test_user_page_lists_tickets_by_status_never_by_token(staff_client, user):
    link = staff_client.post(
        reverse("dashboard:user-reset-link", args=[user.user_id]), {"confirm": "on"}
    ).context["ticket_link"]

    html = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id])).content.decode()

    assert 'id="user-tickets"' in html
    assert "Valid" in html
    assert link.rsplit("=", 1)[1] not in html


def test_no_reset_link_for_a_social_user(staff_client):
    social = UserFactory(connection=SocialConnectionFactory())

    response = staff_client.post(
        reverse("dashboard:user-reset-link", args=[social.user_id]), {"confirm": "on"}
    )

    assert response.status_code == 400
    assert not PasswordChangeTicket.objects.exists()


def test_reset_stays_available_when_direct_set_is_off(staff_client, user, settings):
    settings.REKEY_ALLOW_DIRECT_PASSWORD_SET = False

    html = staff_client.get(reverse("dashboard:user-detail", args=[user.user_id])).content.decode()

    assert reverse("dashboard:user-reset-email", args=[user.user_id]) in html
    assert reverse("dashboard:user-reset-link", args=[user.user_id]) in html


def test_send_reset_email_sends_a_code_where_the_connection_resets_by_code(staff_client):
    from accounts.models import ResetMethod
    from tests.factories import ConnectionFactory, UserFactory

    kiosk = ConnectionFactory(name="Kiosk-Users", password_reset_method=ResetMethod.CODE)
    user = UserFactory(connection=kiosk)
    response = staff_client.post(
        reverse("dashboard:user-reset-email", args=[user.user_id]),
        {"confirm": "on", "reason": "asked by phone"},
    )
    run_worker()

    assert response.status_code == 302
    delivery = EmailDelivery.objects.get(user=user)
    assert (delivery.template_name, delivery.status) == ("reset_email_by_code", DeliveryStatus.SENT)
    assert re.search(r"\b\d{6}\b", InboxMessage.objects.get().text_body)
    assert not LINK.search(InboxMessage.objects.get().text_body)
