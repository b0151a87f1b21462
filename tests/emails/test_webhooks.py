"""Issue 13: provider feedback through anymail's tracking webhooks (Mailgun's, signed)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from accounts.models import LogEvent, LogType
from emails.models import EmailDelivery
from emails.services import email_enqueue
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

SIGNING_KEY = "mailgun-signing-key-for-tests"
URL = "/webhooks/anymail/mailgun/tracking/"


@pytest.fixture(autouse=True)
def _mailgun(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def mailgun_event(event: str, message_id: str, *, key: str = SIGNING_KEY, **extra) -> dict:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature.hexdigest()},
        "event-data": {
            "event": event,
            "timestamp": float(timestamp),
            "id": "evt",
            "recipient": "ann@example.com",
            "message": {"headers": {"message-id": message_id.strip("<>")}},
            **extra,
        },
    }


def sent_delivery(user=None) -> EmailDelivery:
    delivery = email_enqueue(to="ann@example.com", subject="s", text_body="b", user=user)
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status="sent", message_id=f"<rekey.{delivery.pk}.1@localhost>"
    )
    delivery.refresh_from_db()
    return delivery


def post(client, payload):
    return client.post(URL, data=json.dumps(payload), content_type="application/json")


def test_a_delivered_event_is_recorded_on_the_delivery(client):
    delivery = sent_delivery()

    response = post(client, mailgun_event("delivered", delivery.message_id))

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.feedback == "delivered"
    assert delivery.feedback_at is not None
    assert not LogEvent.objects.filter(type=LogType.FAILED_NOTIFICATION).exists()


def test_a_bounce_is_recorded_logged_and_shown_on_the_users_page(client, user):
    delivery = sent_delivery(user)

    post(client, mailgun_event("failed", delivery.message_id, severity="permanent"))

    delivery.refresh_from_db()
    assert delivery.feedback == "bounced"
    fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
    assert (fn.user, fn.description) == (user, "Email bounced (email)")
    assert "ann@example.com" not in json.dumps(fn.details)
    staff = Client()
    staff.force_login(StaffFactory(connection=user.connection, staff_role="administrator"))
    page = staff.get(f"/dashboard/users/{user.user_id}/").content.decode()
    assert 'data-feedback="bounced"' in page


def test_a_complaint_is_recorded_and_logged(client, user):
    delivery = sent_delivery(user)

    post(client, mailgun_event("complained", delivery.message_id))

    delivery.refresh_from_db()
    assert delivery.feedback == "complained"
    assert LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION).details["event"] == "complained"


def test_a_webhook_with_a_wrong_signature_changes_nothing(client):
    delivery = sent_delivery()

    response = post(client, mailgun_event("failed", delivery.message_id, key="not-the-key"))

    assert response.status_code == 400
    delivery.refresh_from_db()
    assert delivery.feedback == ""


def test_an_event_for_an_unknown_message_is_accepted_and_ignored(client):
    response = post(client, mailgun_event("delivered", "<someone.else@example.com>"))

    assert response.status_code == 200
    assert not EmailDelivery.objects.exists()
