"""Issue 13: nothing accepted is lost, and nothing is sent twice under a different Message-ID.

Each test is one row of the issue's table (or one of its requirements), against the real
worker loop, a real SMTP server (aiosmtpd) and the real sweep.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import LogEvent, LogType
from emails.delivery import deliveries_retry, outbox_sweep
from emails.models import DeliveryStatus, EmailDelivery, InboxMessage
from emails.queue import tasks_stalled_requeue
from emails.services import email_enqueue
from tests.factories import ConnectionFactory, UserFactory
from tickets.models import PasswordChangeTicket
from tickets.requests import (
    LIMITED_REASON,
    ResetRequestOutcome,
    reset_request_accept,
    reset_request_check,
)

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An SMTP server that answers each DATA with the next scripted reply (then 250)."""

    def __init__(self, replies: list[str] | None = None, delay_first: float = 0) -> None:
        self.replies = list(replies or [])
        self.delay_first = delay_first
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope.content)
        if self.delay_first:
            delay, self.delay_first = self.delay_first, 0
            await asyncio.sleep(delay)
        return self.replies.pop(0) if self.replies else "250 OK"

    def message_ids(self) -> list[str]:
        return [
            str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
            for raw in self.received
        ]


@pytest.fixture
def sink(settings):
    """Start an aiosmtpd sink and point the mailer at it; the test scripts its replies."""
    controllers = []

    def start(replies=None, delay_first=0.0, timeout=5.0) -> Sink:
        handler = Sink(replies, delay_first)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": timeout},
            }
        }
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def enqueue(user=None) -> EmailDelivery:
    return email_enqueue(
        to="ann@example.com",
        subject="Reset your password",
        text_body="Follow the link\n",
        template_name="reset_email",
        user=user,
    )


def later(seconds: float):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def test_a_permanent_refusal_fails_at_once_with_fn_logged(sink, worker, user, settings):
    settings.REKEY_EMAIL_MAX_ATTEMPTS = 5
    smtp = sink(["554 5.7.1 Message rejected"])
    delivery = enqueue(user)

    worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error == "SMTPDataError (SMTP 554)"
    assert len(smtp.received) == 1
    fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
    assert fn.details["error"] == "SMTPDataError (SMTP 554)"
    assert fn.user == user


def test_a_temporary_refusal_is_retried_after_the_configured_backoff(sink, worker, settings):
    settings.REKEY_EMAIL_BACKOFF = [7]
    smtp = sink(["451 4.3.0 Try again later"])
    delivery = enqueue()

    worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.QUEUED,
        "SMTPDataError (SMTP 451)",
    )
    assert delivery.next_attempt_at is not None

    with later(6):
        worker()
    assert len(smtp.received) == 1
    with later(8):
        worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(smtp.received) == 2


def test_a_resend_after_a_provider_timeout_keeps_the_message_id(sink, worker, settings):
    settings.REKEY_EMAIL_BACKOFF = [1]
    # The provider takes the message but answers after EMAIL_TIMEOUT: the worker cannot know
    # that it arrived, so it sends again; the copy is recognisable by its Message-ID.
    smtp = sink(delay_first=2.0, timeout=0.5)
    delivery = enqueue()

    worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.last_error in {"TimeoutError", "SMTPServerDisconnected"}
    with later(5):
        worker()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    first, second = smtp.message_ids()
    assert first == second == delivery.message_id
    assert delivery.message_id.startswith(f"<rekey.{delivery.pk}.")


def test_each_delivery_has_its_own_message_id(worker):
    enqueue()
    enqueue()

    worker()

    ids = {m.message_id for m in InboxMessage.objects.all()}
    assert len(ids) == 2
    assert ids == set(EmailDelivery.objects.values_list("message_id", flat=True))


def test_a_delivery_stuck_sending_is_sent_again_after_its_lease(worker, settings):
    settings.REKEY_TASK_LEASE_SECONDS = 45
    delivery = enqueue()
    # Its worker claimed it and was killed mid-send: the row says "sending", the task is gone.
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, attempts=1)
    DBTaskResult.objects.all().delete()

    assert outbox_sweep()["requeued"] == 0  # within its lease: the worker may be alive
    with later(46):
        assert outbox_sweep() == {"requeued": 1, "rewoken": 0, "failed": 0}
        worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert InboxMessage.objects.count() == 1


def test_a_delivery_whose_wake_up_was_lost_is_woken_by_the_sweep(worker):
    delivery = enqueue()
    DBTaskResult.objects.all().delete()  # the broker lost the message

    with later(60):
        assert outbox_sweep()["rewoken"] == 1
        assert outbox_sweep()["rewoken"] == 0  # once a lease, not at every pass
        worker()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_a_delivery_woken_twice_is_sent_once(worker):
    delivery = enqueue()
    with later(60):
        outbox_sweep()  # a second wake-up while the first is still queued
        assert DBTaskResult.objects.count() == 2
        worker()

    assert InboxMessage.objects.count() == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_delivery_that_keeps_losing_its_worker_fails_with_fn(settings, user):
    settings.REKEY_EMAIL_MAX_ATTEMPTS = 2
    delivery = enqueue(user)
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, attempts=2)

    with later(60):
        assert outbox_sweep()["failed"] == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "LeaseExpired")
    assert LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION).details["delivery_id"] == (
        delivery.pk
    )


def test_bulk_retry_takes_failed_and_stale_sending_rows_only(worker):
    failed, stale, fresh, sent = enqueue(), enqueue(), enqueue(), enqueue()
    EmailDelivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED)
    EmailDelivery.objects.filter(pk__in=[stale.pk, fresh.pk]).update(status=DeliveryStatus.SENDING)
    EmailDelivery.objects.filter(pk=sent.pk).update(status=DeliveryStatus.SENT)
    EmailDelivery.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )
    DBTaskResult.objects.all().delete()

    assert deliveries_retry(ids=[failed.pk, stale.pk, fresh.pk, sent.pk]) == 2
    worker()

    statuses = dict(EmailDelivery.objects.values_list("pk", "status"))
    assert statuses[failed.pk] == statuses[stale.pk] == DeliveryStatus.SENT
    assert statuses[fresh.pk] == DeliveryStatus.SENDING
    assert InboxMessage.objects.count() == 2


# --- forgot-password requests whose task died -------------------------------------------


@pytest.fixture
def known_user(db):
    connection = ConnectionFactory()
    return UserFactory(connection=connection, email="known@example.com")


def test_a_request_whose_worker_died_before_the_commit_is_fulfilled_once(known_user, worker):
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    # The worker claimed the task and was killed: the task row stays RUNNING.
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now(), worker_ids=["dead"])
    worker()
    assert InboxMessage.objects.count() == 0

    with later(60):
        assert tasks_stalled_requeue() == {"requeued": 1, "failed": 0}
        worker()

    assert InboxMessage.objects.get().to == "known@example.com"
    assert PasswordChangeTicket.objects.count() == 1


def test_a_request_run_again_after_its_commit_sends_no_second_email(known_user, worker):
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    worker()
    assert InboxMessage.objects.count() == 1
    # The worker committed the ticket and the email, then died before marking the task done.
    DBTaskResult.objects.filter(task_path__endswith="reset_request_check_task").update(
        status="RUNNING", started_at=timezone.now(), worker_ids=["dead"]
    )

    with later(60):
        tasks_stalled_requeue()
        worker()

    assert InboxMessage.objects.count() == 1
    assert PasswordChangeTicket.objects.count() == 1
    assert LogEvent.objects.filter(type=LogType.SUCCESS_CHANGE_PASSWORD_REQUEST).count() == 1


class WorkerDied(Exception):
    """Stands for the SIGKILL: what it leaves is the transaction rolled back, nothing else."""


def test_a_request_whose_worker_died_after_counting_it_is_not_refused_by_its_own_count(
    known_user, worker
):
    # The per-email limit allows one request in 12 minutes. The first run counted this one,
    # then died before its commit: the run again must not be refused by that count.
    with pytest.raises(WorkerDied), transaction.atomic():
        reset_request_check(
            email="known@example.com",
            connection=known_user.connection,
            fulfil_now=True,
            request_key="task-1",
        )
        raise WorkerDied
    assert PasswordChangeTicket.objects.count() == 0

    again = reset_request_check(
        email="known@example.com",
        connection=known_user.connection,
        fulfil_now=True,
        request_key="task-1",
    )
    worker()
    assert again == ResetRequestOutcome(sent=True, reason="")
    assert InboxMessage.objects.get().to == "known@example.com"
    # Another request for the same email is still refused: the limit itself is unchanged.
    other = reset_request_check(
        email="known@example.com",
        connection=known_user.connection,
        fulfil_now=True,
        request_key="task-2",
    )
    assert other == ResetRequestOutcome(sent=False, reason=LIMITED_REASON)


def test_a_task_that_keeps_killing_its_worker_fails_with_fn(known_user, settings):
    settings.REKEY_TASK_MAX_RUNS = 3
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    DBTaskResult.objects.update(
        status="RUNNING", started_at=timezone.now(), worker_ids=["a", "b", "c"]
    )

    with later(60):
        assert tasks_stalled_requeue() == {"requeued": 0, "failed": 1}

    assert DBTaskResult.objects.get().status == "FAILED"
    fn = LogEvent.objects.get(type=LogType.FAILED_NOTIFICATION)
    assert "known@example.com" not in str(fn.details) + fn.description


# --- outages of our own services in the worker ------------------------------------------


def test_redis_down_in_the_worker_retries_the_request_instead_of_failing_it(
    known_user, worker, settings, caplog, client
):
    response = client.post(
        "/dbconnections/change_password",
        {"email": "known@example.com", "connection": known_user.connection.name},
        content_type="application/json",
    )
    assert response.status_code == 200
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        real_caches, real_url = settings.CACHES, settings.REDIS_URL
        settings.REDIS_URL = f"redis://127.0.0.1:{held.getsockname()[1]}/0"
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": settings.REDIS_URL,
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
            }
        }
        with caplog.at_level(logging.WARNING, logger="emails.queue"):
            worker()
        settings.CACHES, settings.REDIS_URL = real_caches, real_url

    task = DBTaskResult.objects.get()
    assert task.status == "READY"
    assert task.run_after > timezone.now()
    assert "rate limits are unavailable (Redis)" in caplog.text
    assert "it will be tried again" in caplog.text
    assert "known@example.com" not in caplog.text

    with later(60):
        worker()
    assert InboxMessage.objects.get().to == "known@example.com"
    request = DBTaskResult.objects.get(task_path__endswith="reset_request_check_task")
    assert request.status == "SUCCESSFUL"


# --- speed without losing anything ---------------------------------------------------------


class PeerSink(Sink):
    def __init__(self) -> None:
        super().__init__()
        self.peers: list[tuple] = []

    async def handle_DATA(self, server, session, envelope):
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


def test_a_worker_reuses_its_smtp_connection(settings, worker):
    handler = PeerSink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        for _ in range(3):
            enqueue()
        worker()
    finally:
        controller.stop()

    assert len(handler.received) == 3
    assert len(set(handler.peers)) == 1


def test_a_dropped_reused_connection_is_reopened_without_a_failed_attempt(settings, worker):
    handler = PeerSink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        enqueue()
        worker()
        controller.stop()  # the server goes away, and comes back on the same port
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        second = enqueue()
        worker()
    finally:
        controller.stop()

    second.refresh_from_db()
    assert (second.status, second.attempts) == (DeliveryStatus.SENT, 1)
    assert len(handler.received) == 2


# --- retention -------------------------------------------------------------------------------


def test_task_results_past_their_retention_are_purged_with_their_emails_and_ips(
    known_user, worker, settings
):
    from django.core.management import call_command

    settings.REKEY_TASK_RETENTION_HOURS = 24
    reset_request_accept(email="known@example.com", connection=known_user.connection)
    worker()
    reset_request_accept(email="later@example.com", connection=known_user.connection)
    assert DBTaskResult.objects.count() == 3  # request, email, and one still waiting

    with later(25 * 3600):
        call_command("rekey_sweep", "--once")

    [left] = DBTaskResult.objects.all()
    assert left.status == "READY"
    assert "known@example.com" not in str(DBTaskResult.objects.values_list("args_kwargs"))
