"""Issue 11, part 2: the SDKs' log stream methods against a live Rekey, only the domain changed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from auth0.management.types import CreateLogStreamHttpRequestBody, LogStreamHttpSink

from tests.api.test_auth0_node_sdk import node_auth0  # noqa: F401 - a fixture
from tests.api.test_auth0_sdk import management, rekey, sdk_token  # noqa: F401 - fixtures
from tests.webhooks.receiver import Receiver
from webhooks.models import LogStream

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
NODE_SCRIPT = Path(__file__).parent / "node_sdk" / "log_streams.js"


@pytest.fixture
def receiver(settings):
    settings.REKEY_WEBHOOK_ALLOW_PRIVATE = True
    started = Receiver()
    yield started
    started.stop()


def test_the_python_sdk_creates_lists_gets_pauses_and_deletes_a_stream(management, receiver):  # noqa: F811
    created = management.log_streams.create(
        request=CreateLogStreamHttpRequestBody(
            name="SIEM",
            type="http",
            sink=LogStreamHttpSink(
                http_endpoint=receiver.url,
                http_content_type="application/json",
                http_content_format="JSONLINES",
                http_authorization="Bearer siem",
            ),
        )
    )
    assert (created.name, created.status, created.sink.http_endpoint) == (
        "SIEM",
        "active",
        receiver.url,
    )
    assert [s.id for s in management.log_streams.list()] == [created.id]
    assert management.log_streams.get(created.id).sink.http_content_format == "JSONLINES"

    paused = management.log_streams.update(created.id, status="paused")
    assert paused.status == "paused"
    assert LogStream.objects.get().status == "paused"

    management.log_streams.delete(created.id)
    assert not LogStream.objects.exists()


def test_the_node_sdk_creates_lists_gets_pauses_and_deletes_a_stream(
    node_auth0,  # noqa: F811
    rekey,  # noqa: F811
    sdk_token,  # noqa: F811
    receiver,
):
    result = subprocess.run(
        ["node", str(NODE_SCRIPT), rekey, sdk_token, receiver.url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(node_auth0)},
    )

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["created"]["name"] == "SIEM from node"
    assert out["created"]["filters"] == [{"type": "category", "name": "user.notification"}]
    assert out["listed"] == [out["created"]["id"]]
    assert (out["got"], out["paused"], out["deleted"]) == ("SIEM from node", "paused", True)
    assert not LogStream.objects.exists()
