"""Issue 13: ``pg_terminate_backend`` on our connections: no 500, and no worker stops."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from django.db import connection, connections

from emails.models import DeliveryStatus, EmailDelivery
from emails.queue import _worker_class
from emails.services import email_enqueue
from tests.ops.livestack import base_env, gunicorn

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def terminate_other_backends() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_requests_after_their_connections_were_terminated_succeed(postgres, tmp_path):
    # The test client turns off Django's per-request connection check: a real server it is.
    db = connection.settings_dict
    env = base_env(
        tmp_path,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL="",
        RATELIMIT_ENABLE="0",
    )
    body = {"email": "ann@example.com", "connection": "Username-Password-Authentication"}
    with gunicorn(env, threads=2) as url:
        for _ in range(4):  # every thread holds a persistent connection (CONN_MAX_AGE)
            requests.post(f"{url}/dbconnections/change_password", json=body, timeout=30)
        assert terminate_other_backends() >= 1

        statuses = [
            requests.post(f"{url}/dbconnections/change_password", json=body, timeout=30).status_code
            for _ in range(10)
        ]

    assert 500 not in statuses, statuses


def test_the_worker_survives_its_connections_being_terminated(postgres, settings):
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}
    worker = _worker_class()(
        queue_names=["*"],
        interval=0.05,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="drop-test",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()

    def sent(delivery: EmailDelivery, within: float = 20) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            delivery.refresh_from_db()
            if delivery.status == DeliveryStatus.SENT:
                return True
            time.sleep(0.1)
        return False

    try:
        first = email_enqueue(to="ann@example.com", subject="one", text_body="b")
        assert sent(first)
        for _ in range(3):
            terminate_other_backends()
            time.sleep(0.2)
        connection.close()
        second = email_enqueue(to="ann@example.com", subject="two", text_body="b")
        assert sent(second)
        assert thread.is_alive()
    finally:
        worker.running = False
        thread.join(timeout=10)
