"""Issue 11, part 2: Auth0 log streams of type http, to a real receiver on loopback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.events import log_event
from accounts.models import STAFF_CONNECTION_NAME, LogEvent, LogType
from accounts.sweeps import sweep_once
from tests.management_api import error
from tests.webhooks.receiver import Receiver
from webhooks.models import LogStream, LogStreamAttempt, LogStreamStatus
from webhooks.streams import log_stream_create, log_stream_flush

pytestmark = pytest.mark.django_db
TOKEN = "Bearer siem-token-1"


def later(seconds: float):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


@pytest.fixture
def receiver(settings):
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = True
    started = Receiver()
    yield started
    started.stop()


def stream_to(receiver: Receiver, **kwargs) -> LogStream:
    return log_stream_create(name="SIEM", endpoint=receiver.url, authorization=TOKEN, **kwargs)


def logged(*types: str) -> list[LogEvent]:
    return [log_event(type=t, description=f"event {t}", user_name="ann@example.com") for t in types]


def bodies(receiver: Receiver) -> list[str]:
    return [item.body.decode() for item in receiver.received]


# --- the Management API ---------------------------------------------------------------------


def test_a_stream_is_created_read_updated_and_deleted_in_auth0s_shapes(api, receiver):
    response = api.post(
        "/api/v2/log-streams",
        {
            "name": "SIEM",
            "type": "http",
            "sink": {
                "httpEndpoint": receiver.url,
                "httpContentType": "application/json",
                "httpContentFormat": "JSONLINES",
                "httpAuthorization": TOKEN,
            },
            "filters": [{"type": "category", "name": "user.fail"}],
        },
    )
    assert response.status_code == 200
    stream_id = response.json()["id"]
    expected = {
        "id": stream_id,
        "name": "SIEM",
        "type": "http",
        "status": "active",
        "sink": {
            "httpEndpoint": receiver.url,
            "httpContentType": "application/json",
            "httpContentFormat": "JSONLINES",
        },
        "filters": [{"type": "category", "name": "user.fail"}],
    }
    assert response.json() == expected
    assert TOKEN not in response.content.decode()  # the authorization is write-only
    assert TOKEN not in LogStream.objects.get().authorization_sealed
    assert api.get("/api/v2/log-streams").json() == [expected]
    assert api.get(f"/api/v2/log-streams/{stream_id}").json() == expected

    paused = api.patch(f"/api/v2/log-streams/{stream_id}", {"status": "paused"})
    assert paused.status_code == 200
    assert paused.json() == {**expected, "status": "paused"}

    assert api.delete(f"/api/v2/log-streams/{stream_id}").status_code == 204
    missing = api.get(f"/api/v2/log-streams/{stream_id}")
    assert missing.status_code == 404
    assert missing.json() == error(404, "The log stream does not exist.", "not_found")
    sapi = LogEvent.objects.filter(type=LogType.SUCCESS_API_OPERATION).values_list(
        "description", flat=True
    )
    assert sorted(sapi) == ["Create a log stream", "Delete a log stream", "Update a log stream"]


def test_streams_need_their_scopes(api_with, receiver):
    reader = api_with("read:log_streams")
    response = reader.post(
        "/api/v2/log-streams", {"type": "http", "sink": {"httpEndpoint": receiver.url}}
    )
    assert response.status_code == 403
    assert not LogStream.objects.exists()


def test_a_private_endpoint_and_an_unknown_filter_are_refused(api, settings):
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = False
    private = api.post(
        "/api/v2/log-streams", {"type": "http", "sink": {"httpEndpoint": "https://10.0.0.9/"}}
    )
    assert private.status_code == 400
    assert "private or reserved address" in private.json()["message"]
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = True
    unknown = api.post(
        "/api/v2/log-streams",
        {
            "type": "http",
            "sink": {"httpEndpoint": "http://127.0.0.1:9/"},
            "filters": [{"type": "category", "name": "password.everything"}],
        },
    )
    assert unknown.status_code == 400
    assert not LogStream.objects.exists()


# --- delivery -------------------------------------------------------------------------------


def test_events_are_sent_in_order_as_a_json_array_with_the_authorization(receiver):
    stream = stream_to(receiver)
    events = logged("scp", "fcp", "s")
    assert log_stream_flush(stream_id=stream.pk) == {"sent": 0}  # younger than the lag

    with later(10):
        assert log_stream_flush(stream_id=stream.pk) == {"sent": 3}
        assert log_stream_flush(stream_id=stream.pk) == {"sent": 0}

    [item] = receiver.received
    assert item.headers["Authorization"] == TOKEN
    sent = json.loads(item.body)
    assert [e["log_id"] for e in sent] == [e.log_id for e in events]
    assert sent[0]["data"]["type"] == "scp" and sent[0]["data"]["user_name"] == "ann@example.com"
    stream.refresh_from_db()
    assert stream.cursor == events[-1].pk


def test_filters_keep_their_categories_and_json_lines_are_lines(receiver):
    stream = stream_to(
        receiver, content_format="JSONLINES", filters=[{"type": "category", "name": "user.fail"}]
    )
    events = logged("scp", "fcp", "s", "fcpr")
    with later(10):
        assert log_stream_flush(stream_id=stream.pk) == {"sent": 2}

    lines = bodies(receiver)[0].split("\n")
    assert [json.loads(line)["log_id"] for line in lines] == [events[1].log_id, events[3].log_id]


def test_json_object_sends_one_request_per_event(receiver):
    stream = stream_to(receiver, content_format="JSONOBJECT")
    events = logged("scp", "scpr")
    with later(10):
        log_stream_flush(stream_id=stream.pk)
    assert [json.loads(b)["log_id"] for b in bodies(receiver)] == [e.log_id for e in events]


def test_a_long_backlog_goes_in_batches_in_order(receiver, worker, settings):
    settings.REKEY_LOG_STREAM_BATCH = 2
    stream = stream_to(receiver)
    events = logged("s", "s", "f", "scp", "slo")
    with later(10):
        log_stream_flush(stream_id=stream.pk)  # a full batch wakes the next at once
        worker()

    sent = [item["log_id"] for body in bodies(receiver) for item in json.loads(body)]
    assert sent == [e.log_id for e in events]
    assert [len(json.loads(b)) for b in bodies(receiver)] == [2, 2, 1]


def test_a_failed_batch_is_sent_again_in_order_after_its_backoff(receiver, settings):
    settings.REKEY_WEBHOOK_BACKOFF = [30]
    receiver.replies = [503]
    stream = stream_to(receiver)
    events = logged("scp", "fcp")
    with later(10):
        assert log_stream_flush(stream_id=stream.pk) == {"error": "HTTP 503"}
        assert log_stream_flush(stream_id=stream.pk) == {"skipped": True}  # backing off
    with later(45):
        assert log_stream_flush(stream_id=stream.pk) == {"sent": 2}

    assert bodies(receiver)[0] == bodies(receiver)[1]
    assert [e["log_id"] for e in json.loads(bodies(receiver)[1])] == [e.log_id for e in events]
    attempts = list(LogStreamAttempt.objects.order_by("pk").values_list("ok", "response_status"))
    assert attempts == [(False, 503), (True, 200)]


def test_a_stream_that_keeps_failing_is_suspended_and_resumes_where_it_was(receiver, settings, api):
    settings.REKEY_LOG_STREAM_SUSPEND_AFTER = 2
    settings.REKEY_WEBHOOK_BACKOFF = [1]
    receiver.replies = [500, 500]
    stream = stream_to(receiver)
    events = logged("scp")
    with later(10):
        log_stream_flush(stream_id=stream.pk)
    with later(20):
        log_stream_flush(stream_id=stream.pk)
        stream.refresh_from_db()
        assert stream.status == LogStreamStatus.SUSPENDED
        assert api.get(f"/api/v2/log-streams/{stream.pk}").json()["status"] == "suspended"
        assert log_stream_flush(stream_id=stream.pk) == {"skipped": True}
        fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
        assert "Log stream suspended after 2 failed deliveries" in fn.description

        assert api.patch(f"/api/v2/log-streams/{stream.pk}", {"status": "active"}).status_code
    with later(30):
        log_stream_flush(stream_id=stream.pk)
    delivered = json.loads(bodies(receiver)[-1])
    assert delivered[0]["log_id"] == events[0].log_id  # resumed from the cursor


def test_a_flush_whose_worker_died_is_sent_again_after_its_lease(receiver, worker, settings):
    settings.REKEY_TASK_LEASE_SECONDS = 45
    stream = stream_to(receiver)
    events = logged("scp")
    # What a worker killed mid-flush leaves: the stream claimed, the cursor not moved.
    LogStream.objects.filter(pk=stream.pk).update(
        claimed_until=timezone.now() + timedelta(seconds=45)
    )
    with later(10):
        assert sweep_once(purge=False)["log_streams"] == 0
        assert log_stream_flush(stream_id=stream.pk) == {"skipped": True}
    with later(60):
        assert sweep_once(purge=False)["log_streams"] == 1
        worker()
    assert [e["log_id"] for e in json.loads(bodies(receiver)[0])] == [events[0].log_id]


def test_a_paused_stream_sends_nothing(receiver):
    stream = stream_to(receiver)
    LogStream.objects.filter(pk=stream.pk).update(status=LogStreamStatus.PAUSED)
    logged("scp")
    with later(10):
        assert log_stream_flush(stream_id=stream.pk) == {"skipped": True}
    assert receiver.received == []


def test_staff_events_are_not_streamed(receiver):
    stream = stream_to(receiver)
    log_event(type="scp", connection_name=STAFF_CONNECTION_NAME, user_name="staff@example.com")
    tenant = logged("scp")
    with later(10):
        log_stream_flush(stream_id=stream.pk)
    assert [e["log_id"] for e in json.loads(bodies(receiver)[0])] == [tenant[0].log_id]
    assert "staff@example.com" not in bodies(receiver)[0]
