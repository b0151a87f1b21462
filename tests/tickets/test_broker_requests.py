"""Issue 13: a forgot-password request accepted with RQ as the task engine is never lost.

RQ takes a job off two queues with BLPOP: a worker killed between that and its bookkeeping
leaves the job in no list and no registry. Each test puts Redis in the state a fault leaves
(the job popped and gone, the broker unreachable, a worker dying again and again) and then
runs the real sweep and a real RQ worker, on real Redis.
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import redis as redis_client
import time_machine
from django.utils import timezone

# Imported here, under the embedded settings: django.tasks makes a task of its backend's class at
# import, and a task module first imported inside an RQ test would stay RQ-made for the session.
import emails.tasks  # noqa: F401
import tickets.tasks
from accounts.models import LogEvent, LogType
from emails import engine
from emails.models import InboxMessage
from tests.factories import ConnectionFactory, UserFactory
from tickets.models import PasswordChangeTicket, ResetRequest
from tickets.requests import requests_claim, reset_request_accept, reset_requests_sweep

# serialized_rollback: the flush after each test leaves the database as the next such test expects.
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def flush_rq(url: str) -> None:
    client = redis_client.Redis.from_url(url)
    keys = list(client.scan_iter("rq:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def rq_tasks(redis, settings):
    """Tasks on RQ (as REKEY_TASKS=rq configures them), on the test's Redis."""
    settings.RQ_QUEUES = {name: {"URL": settings.REDIS_URL} for name in ("email", "default")}
    settings.TASKS = {
        "default": {"BACKEND": "emails.engine.RekeyRQBackend", "QUEUES": ["default", "email"]}
    }
    engine._queues.clear()
    flush_rq(settings.REDIS_URL)
    yield engine
    engine._queues.clear()
    flush_rq(settings.REDIS_URL)


def rq_work() -> None:
    """A real RQ worker (RekeyWorker) in burst mode: every queued job, then it returns."""
    engine.rq_worker_run(queue_names=["email", "default"], batch=True, worker_id="pytest-rq")


def later(seconds: float):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


@pytest.fixture
def known_user(db):
    return UserFactory(connection=ConnectionFactory(), email="known@example.com")


def test_a_job_lost_with_its_worker_after_blpop_is_woken_and_sent_once(rq_tasks, known_user):
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    queue = rq_tasks._queue("default")
    assert queue.count == 1
    # What a worker killed right after BLPOP leaves: the job is in no queue and no registry.
    queue.connection.lpop(queue.key)
    assert ResetRequest.objects.count() == 1

    assert reset_requests_sweep() == {"woken": 0, "failed": 0}  # its wake-up may still come
    with later(60):
        assert reset_requests_sweep() == {"woken": 1, "failed": 0}
    rq_work()

    assert InboxMessage.objects.get().to == "known@example.com"
    assert PasswordChangeTicket.objects.count() == 1
    assert not ResetRequest.objects.exists()  # the row is gone with its work: no email kept


def test_many_requests_wake_one_job_and_their_emails_need_none(rq_tasks, known_user):
    emails = [f"user{n}@example.com" for n in range(30)]
    for email in emails:
        UserFactory(connection=known_user.connection, email=email)
        reset_request_accept(email=email, connection=known_user.connection)
    reset_request_accept(email="nobody@example.com", connection=known_user.connection)
    # One wake-up job for the 31 requests: the worker claims the rows as a batch.
    assert rq_tasks._queue("default").count == 1
    rq_work()

    assert sorted(InboxMessage.objects.values_list("to", flat=True)) == sorted(emails)
    assert PasswordChangeTicket.objects.count() == 30
    assert not ResetRequest.objects.exists()
    # The worker sent its batch's emails itself; at most the one wake-up of their outbox rows
    # was enqueued meanwhile, and it found nothing left to send.
    assert rq_tasks._queue("email").count == 0
    assert rq_tasks._queue("default").count == 0


def test_a_request_run_twice_is_fulfilled_once(rq_tasks, known_user):
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    # The same wake-up twice (a sweep and the request's own), and two workers' batches.
    tickets.tasks.reset_requests_run_task.enqueue()
    assert rq_tasks._queue("default").count == 2
    rq_work()
    tickets.tasks.reset_requests_run_task.enqueue()
    rq_work()

    assert InboxMessage.objects.count() == 1
    assert PasswordChangeTicket.objects.count() == 1
    assert LogEvent.objects.filter(type=LogType.SUCCESS_CHANGE_PASSWORD_REQUEST).count() == 1


def test_a_claimed_row_is_not_claimed_again_within_its_lease(rq_tasks, known_user):
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    assert len(requests_claim(limit=10)) == 1  # a worker took it and is still at work (or died)
    assert requests_claim(limit=10) == []
    with later(30):
        assert reset_requests_sweep() == {"woken": 0, "failed": 0}
        assert requests_claim(limit=10) == []
    assert InboxMessage.objects.count() == 0
    with later(60):  # past its lease: its worker died
        assert reset_requests_sweep() == {"woken": 1, "failed": 0}
        rq_work()

    assert InboxMessage.objects.get().to == "known@example.com"
    assert ResetRequest.objects.count() == 0
    assert LogEvent.objects.filter(type=LogType.SUCCESS_CHANGE_PASSWORD_REQUEST).count() == 1


def test_a_request_whose_worker_died_mid_run_is_woken(rq_tasks, known_user):
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    reset_request_accept(email="other@example.com", connection=known_user.connection)
    queue = rq_tasks._queue("default")
    queue.connection.lpop(queue.key)
    # Its worker had claimed it (the run is counted in its own commit) and then died.
    ResetRequest.objects.filter(email="known@example.com").update(runs=1)

    with later(60):
        assert reset_requests_sweep() == {"woken": 2, "failed": 0}
        rq_work()

    assert InboxMessage.objects.get().to == "known@example.com"
    assert not ResetRequest.objects.exists()


def test_a_broker_down_at_the_request_still_answers_and_the_sweep_sends_later(
    rq_tasks, known_user, settings, client, caplog
):
    with socket.socket() as held:  # bound, not listening: connections are refused
        held.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{held.getsockname()[1]}/0"
        settings.RQ_QUEUES = {name: {"URL": url} for name in ("email", "default")}
        rq_tasks._queues.clear()
        response = client.post(
            "/dbconnections/change_password",
            {"email": "known@example.com", "connection": known_user.connection.name},
            content_type="application/json",
        )
    assert response.status_code == 200
    assert "the sweep will wake them" in caplog.text
    assert "known@example.com" not in caplog.text
    settings.RQ_QUEUES = {name: {"URL": settings.REDIS_URL} for name in ("email", "default")}
    rq_tasks._queues.clear()

    with later(60):
        assert reset_requests_sweep() == {"woken": 1, "failed": 0}
    rq_work()
    assert InboxMessage.objects.get().to == "known@example.com"


def test_a_request_that_keeps_killing_its_worker_is_failed_with_fn(rq_tasks, known_user, settings):
    settings.REKEY_TASK_MAX_RUNS = 3
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    ResetRequest.objects.update(runs=3)

    with later(60):
        assert reset_requests_sweep() == {"woken": 0, "failed": 1}

    assert not ResetRequest.objects.exists()
    fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
    assert "known@example.com" not in str(fn.details) + fn.description
