"""Issue 11, part 3: signed webhooks for password events (Standard Webhooks).

A real HTTP receiver on loopback verifies every delivery with the ``standardwebhooks`` library;
the deliveries go through the real worker loop and the real sweep.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import STAFF_CONNECTION_NAME, Connection, LogEvent, LogType
from accounts.services import Audit, Door, PasswordChangeError, password_set
from accounts.services.sessions import sessions_expire
from accounts.services.users import user_block_set
from accounts.sweeps import sweep_once
from tests.factories import UserFactory
from tests.webhooks.receiver import Receiver
from tickets.requests import reset_request_check
from webhooks.models import WebhookDelivery, WebhookEvent, WebhookStatus
from webhooks.services import endpoint_create, endpoint_secret_rotate
from webhooks.ssrf import UnsafeURL

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sunlit-harbour-47-lanterns"


def later(seconds: float):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


@pytest.fixture
def receivers(settings):
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on loopback
    started: list[Receiver] = []

    def start(replies: list[int] | None = None, redirect_to: str = "") -> Receiver:
        receiver = Receiver(replies, redirect_to)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def hook(receivers):
    """A receiver with an endpoint for every event, its secret known to it."""
    receiver = receivers()
    endpoint, secret = endpoint_create(url=receiver.url)
    receiver.secrets = [secret]
    receiver.endpoint = endpoint
    return receiver


def test_a_password_change_is_delivered_signed_with_its_door(user, worker, hook):
    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.API))
    worker()

    [item] = hook.received
    assert item.verified_with == hook.secrets  # standardwebhooks.Webhook.verify accepted it
    assert item.payload["type"] == "password.changed"
    data = item.payload["data"]
    assert (data["door"], data["user_id"], data["email"]) == ("api", user.user_id, user.email)
    user.refresh_from_db()
    assert NEW_PASSWORD not in item.body.decode()
    assert user.password not in item.body.decode()
    assert item.headers["webhook-id"].startswith("msg_")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 1, 200)


def test_every_event_of_the_issue_is_delivered(user, worker, hook):
    reset_request_check(email=user.email, connection=user.connection, fulfil_now=True)
    with pytest.raises(PasswordChangeError):
        password_set(user=user, password="short", audit=Audit(door=Door.API))
    sessions_expire(user=user, audit=Audit(door=Door.COMMAND))
    user_block_set(user=user, blocked=True, audit=Audit(door=Door.COMMAND))
    worker()

    assert sorted(hook.events()) == sorted(
        [
            "password.reset_requested",
            "password.change_failed",
            "user.signed_out",  # the forced sign-in
            "user.blocked",
            "user.signed_out",  # blocking ends the sessions too
        ]
    )
    for item in hook.received:
        assert item.verified_with == hook.secrets
        # No ticket in any payload: the reset request's link went to the user only.
        assert "ticket" not in item.body.decode()


def test_an_endpoint_gets_only_the_events_it_chose(user, worker, receivers):
    receiver = receivers()
    _, secret = endpoint_create(url=receiver.url, events=[WebhookEvent.PASSWORD_CHANGED])
    receiver.secrets = [secret]
    user_block_set(user=user, blocked=False, audit=Audit(door=Door.COMMAND))
    sessions_expire(user=user, audit=Audit(door=Door.COMMAND))
    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.DASHBOARD))
    worker()

    assert receiver.events() == ["password.changed"]
    assert receiver.received[0].payload["data"]["door"] == "dashboard"


def test_unknown_events_are_refused(receivers):
    with pytest.raises(ValueError, match=r"Unknown events: password\.stolen"):
        endpoint_create(url=receivers().url, events=["password.stolen"])


def test_staff_events_are_never_sent(worker, hook):
    staff = UserFactory(connection=Connection.objects.get(name=STAFF_CONNECTION_NAME))
    password_set(user=staff, password=NEW_PASSWORD, audit=Audit(door=Door.DASHBOARD))
    worker()

    assert LogEvent.objects.filter(type=LogType.SUCCESS_CHANGE_PASSWORD).exists()
    assert hook.received == []


def test_a_rotated_secret_signs_beside_the_new_one_until_the_overlap_ends(
    user, worker, hook, settings
):
    settings.REKEY_WEBHOOK_SECRET_OVERLAP_HOURS = 24
    old = hook.secrets[0]
    new = endpoint_secret_rotate(endpoint=hook.endpoint)
    hook.secrets = [old, new]
    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.API))
    worker()
    assert hook.received[-1].verified_with == [old, new]

    with later(25 * 3600):
        password_set(user=user, password="Quiet-meadow-83-ferries", audit=Audit(door=Door.API))
        worker()
    assert hook.received[-1].verified_with == [new]
    assert len(hook.received[-1].headers["webhook-signature"].split(" ")) == 1


def test_a_refused_delivery_is_retried_after_its_backoff_with_the_same_id(
    user, worker, receivers, settings
):
    settings.REKEY_WEBHOOK_BACKOFF = [30]
    receiver = receivers(replies=[500])
    _, secret = endpoint_create(url=receiver.url, events=[WebhookEvent.USER_BLOCKED])
    receiver.secrets = [secret]
    user_block_set(user=user, blocked=True, audit=Audit(door=Door.COMMAND))
    worker()
    delivery = WebhookDelivery.objects.get(event=WebhookEvent.USER_BLOCKED)
    assert (delivery.status, delivery.last_error) == (WebhookStatus.QUEUED, "HTTP 500")

    worker()  # not yet due: nothing more is sent
    assert len(receiver.received) == 1
    with later(31):
        worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookStatus.SENT, 2)
    ids = {item.headers["webhook-id"] for item in receiver.received}
    assert ids == {delivery.message_id}


def test_a_delivery_that_keeps_failing_is_recorded_as_failed_with_fn(
    user, worker, receivers, settings
):
    settings.REKEY_WEBHOOK_MAX_ATTEMPTS = 2
    settings.REKEY_WEBHOOK_BACKOFF = [1]
    receiver = receivers(replies=[503, 503, 503])
    endpoint_create(url=receiver.url)
    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.API))
    worker()
    with later(5):
        worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (WebhookStatus.FAILED, 2)
    fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
    assert "password.changed" in fn.description
    assert user.email not in fn.description + json.dumps(fn.details)


def test_a_redirect_is_not_followed(user, worker, receivers):
    target = receivers()
    receiver = receivers(replies=[302], redirect_to=target.url)
    endpoint_create(url=receiver.url)
    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.API))
    worker()

    assert len(receiver.received) == 1
    assert target.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error == "HTTP 302 (redirects are not followed)"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://0.0.0.0/hooks",
        "http://example.com/hooks",
        "https://user:pass@example.com/hooks",
        "ftp://example.com/hooks",
    ],
)
def test_private_and_unsafe_urls_are_refused(url, settings):
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeURL):
        endpoint_create(url=url)
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_that_became_private_is_not_called(user, worker, hook, settings):
    # Allowed when it was saved (the receiver is local); the check runs again before sending.
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = False
    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.API))
    worker()

    assert hook.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookStatus.FAILED
    assert delivery.last_error == "The URL must use https."


def test_a_delivery_whose_worker_died_is_sent_again_by_the_sweep_with_its_id(
    user, worker, hook, settings
):
    settings.REKEY_TASK_LEASE_SECONDS = 45
    password_set(user=user, password=NEW_PASSWORD, audit=Audit(door=Door.API))
    # What a worker killed mid-request leaves: the row claimed (sending), its task gone.
    WebhookDelivery.objects.update(status=WebhookStatus.SENDING, attempts=1)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path__endswith="webhook_deliver").delete()
    worker()
    assert hook.received == []

    with later(60):
        assert sweep_once(purge=False)["webhooks"] == {"requeued": 1, "rewoken": 0, "failed": 0}
        worker()

    [item] = hook.received
    delivery = WebhookDelivery.objects.get()
    assert item.headers["webhook-id"] == delivery.message_id
    assert (delivery.status, delivery.attempts) == (WebhookStatus.SENT, 2)


def test_the_secret_is_stored_sealed(receivers):
    endpoint, secret = endpoint_create(url=receivers().url)
    endpoint.refresh_from_db()
    assert secret.startswith("whsec_")
    assert secret not in endpoint.secret_sealed
    sapi = LogEvent.objects.get(type=LogType.SUCCESS_API_OPERATION)
    assert secret not in json.dumps(sapi.details)
