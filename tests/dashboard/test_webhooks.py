"""Issue 11, part 3: webhook endpoints in the dashboard (secret once, rotation, retry)."""

from __future__ import annotations

import json

import pytest

from accounts.models import LogEvent, LogType
from accounts.services import Audit, Door, password_set
from tests.webhooks.receiver import Receiver
from webhooks.models import (
    LogStream,
    LogStreamStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookStatus,
)
from webhooks.services import endpoint_create
from webhooks.streams import log_stream_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = True
    started = Receiver()
    yield started
    started.stop()


def test_an_administrator_adds_an_endpoint_and_sees_its_secret_once(staff_client, receiver):
    response = staff_client.post(
        "/dashboard/webhooks/",
        {
            "url": receiver.url,
            "description": "SIEM",
            "events": ["password.changed"],
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    secret = response.context["new_secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    assert (endpoint.url, endpoint.events, endpoint.enabled) == (
        receiver.url,
        ["password.changed"],
        True,
    )
    again = staff_client.get(f"/dashboard/webhooks/{endpoint.pk}/")
    assert secret not in again.content.decode()
    assert (
        LogEvent.objects.filter(
            type=LogType.SUCCESS_API_OPERATION, description="Create a webhook endpoint"
        ).count()
        == 1
    )


def test_a_private_url_is_refused_with_a_clear_error(staff_client, settings):
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = False
    response = staff_client.post("/dashboard/webhooks/", {"url": "https://10.0.0.5/hook"})
    assert response.status_code == 400
    assert "resolves to a private or reserved address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_viewer_reads_but_cannot_add_rotate_or_retry(viewer_client, receiver):
    endpoint, _ = endpoint_create(url=receiver.url)
    assert viewer_client.get("/dashboard/webhooks/").status_code == 200
    assert viewer_client.get(f"/dashboard/webhooks/{endpoint.pk}/").status_code == 200
    assert viewer_client.post("/dashboard/webhooks/", {"url": receiver.url}).status_code == 403
    assert viewer_client.post(f"/dashboard/webhooks/{endpoint.pk}/secret").status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_rotation_shows_the_new_secret_and_keeps_the_old_one_signing(staff_client, receiver):
    endpoint, old = endpoint_create(url=receiver.url)
    response = staff_client.post(f"/dashboard/webhooks/{endpoint.pk}/secret")
    new = response.context["new_secret"]
    assert new != old and new in response.content.decode()
    assert "The previous secret also signs until" in response.content.decode()


def test_a_failed_delivery_is_shown_and_retried(staff_client, receiver, user, worker, settings):
    settings.REKEY_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.replies = [500]
    endpoint, secret = endpoint_create(url=receiver.url)
    receiver.secrets = [secret]
    password_set(user=user, password="Sunlit-harbour-47-lanterns", audit=Audit(door=Door.API))
    worker()
    delivery = WebhookDelivery.objects.get()
    page = staff_client.get(f"/dashboard/webhooks/{endpoint.pk}/").content.decode()
    assert "HTTP 500" in page and f"webhook-delivery-{delivery.pk}" in page

    response = staff_client.post(f"/dashboard/webhook-deliveries/{delivery.pk}/retry")
    assert response.status_code == 302
    worker()
    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.SENT
    assert [item.verified_with for item in receiver.received] == [[secret], [secret]]


# --- log streams ------------------------------------------------------------------------------


def test_an_administrator_adds_a_stream_and_sends_a_test_event(staff_client, receiver):
    response = staff_client.post(
        "/dashboard/log-streams/",
        {
            "name": "SIEM",
            "endpoint": receiver.url,
            "authorization": "Bearer dash",
            "content_format": "JSONLINES",
            "categories": ["user.fail"],
        },
    )
    stream = LogStream.objects.get()
    assert response.status_code == 302
    assert (stream.name, stream.content_format, stream.filters) == (
        "SIEM",
        "JSONLINES",
        [{"type": "category", "name": "user.fail"}],
    )
    staff_client.post(f"/dashboard/log-streams/{stream.pk}/", {"action": "test"})
    [item] = receiver.received
    assert item.headers["Authorization"] == "Bearer dash"
    assert json.loads(item.body)["data"]["type"] == "test"
    page = staff_client.get(f"/dashboard/log-streams/{stream.pk}/").content.decode()
    assert "Test event" in page and "Delivered" in page
    assert "Bearer dash" not in page


def test_a_suspended_stream_is_shown_and_resumed(staff_client, receiver):
    stream = log_stream_create(name="SIEM", endpoint=receiver.url)
    LogStream.objects.filter(pk=stream.pk).update(
        status=LogStreamStatus.SUSPENDED, failures=10, last_error="HTTP 503"
    )
    page = staff_client.get(f"/dashboard/log-streams/{stream.pk}/").content.decode()
    assert "Suspended after repeated failures" in page and "HTTP 503" in page

    staff_client.post(f"/dashboard/log-streams/{stream.pk}/", {"action": "active"})
    stream.refresh_from_db()
    assert (stream.status, stream.failures, stream.last_error) == ("active", 0, "")


def test_a_viewer_cannot_change_a_stream(viewer_client, receiver):
    stream = log_stream_create(name="SIEM", endpoint=receiver.url)
    assert viewer_client.get(f"/dashboard/log-streams/{stream.pk}/").status_code == 200
    response = viewer_client.post(f"/dashboard/log-streams/{stream.pk}/", {"action": "paused"})
    assert response.status_code == 403
    stream.refresh_from_db()
    assert stream.status == "active"
