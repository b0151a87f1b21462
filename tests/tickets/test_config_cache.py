"""The forgot-password API's per-process copy of applications and connections.

A change made through this process shows at once; one made elsewhere (a queryset update stands
in for another process: it sends no signal) shows within ``REKEY_CONFIG_CACHE_SECONDS``.
"""

from __future__ import annotations

import json

import pytest

from accounts import config_cache
from accounts.audit import Audit, Door
from accounts.models import Application, Connection, Strategy
from accounts.services.connections import connection_clients_set
from tests.factories import ApplicationFactory, ConnectionFactory
from tests.tickets.helpers import counting_work

pytestmark = pytest.mark.django_db

URL = "/dbconnections/change_password"


@pytest.fixture
def app_and_connection():
    connection = ConnectionFactory(name="Cached-DB")
    return ApplicationFactory(connections=[connection]), connection


def ask(client, application: Application, connection: Connection):
    body = {
        "email": "someone@example.com",
        "connection": connection.name,
        "client_id": application.client_id,
    }
    response = client.post(URL, json.dumps(body), content_type="application/json")
    return response.status_code, response.json() if response.status_code != 200 else None


def test_a_repeated_request_reads_neither_the_application_nor_the_connection(
    client, app_and_connection
):
    assert ask(client, *app_and_connection)[0] == 200
    with counting_work() as work:
        assert ask(client, *app_and_connection)[0] == 200
    assert work.queries == 1  # the request's own durable write, nothing else


def test_changes_made_here_show_at_once(client, app_and_connection):
    application, connection = app_and_connection
    assert ask(client, application, connection)[0] == 200

    connection_clients_set(connection=connection, disable=[application], audit=Audit(door=Door.API))
    assert ask(client, application, connection) == (
        400,
        {
            "error": "bad.connection",
            "error_description": "Connection is not enabled for this client.",
        },
    )
    connection_clients_set(connection=connection, enable=[application], audit=Audit(door=Door.API))
    assert ask(client, application, connection)[0] == 200
    client_id = application.client_id
    application.delete()  # (which clears the instance's pk, the client_id)
    application.client_id = client_id
    assert ask(client, application, connection) == (
        400,
        {"error": "invalid_client", "error_description": "Unknown client."},
    )


def test_changes_made_elsewhere_show_within_the_cache_seconds(
    client, app_and_connection, settings, monkeypatch
):
    settings.REKEY_CONFIG_CACHE_SECONDS = 5
    application, connection = app_and_connection
    assert ask(client, application, connection)[0] == 200
    Connection.objects.filter(pk=connection.pk).update(strategy=Strategy.GOOGLE)  # no signal

    assert ask(client, application, connection)[0] == 200  # the copy, still young
    now = config_cache.time.monotonic()
    monkeypatch.setattr(config_cache.time, "monotonic", lambda: now + 6)
    assert ask(client, application, connection)[0] == 400
