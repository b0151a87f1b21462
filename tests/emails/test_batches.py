"""Issue 13, drain speed: a delivery task sends a batch of ready rows, each row ending right.

The batch is claimed in one statement (SQLite here by default; PostgreSQL with
DATABASE_URL=postgres://...), sent over the worker's SMTP pool to a real aiosmtpd server, and
every row keeps its own lease, attempts, failure handling and Message-ID.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import LogEvent, LogType
from emails.delivery import message_id_for
from emails.models import DeliveryStatus, EmailDelivery
from emails.sending import deliveries_claim
from emails.services import email_enqueue
from tests.emails.test_durability import Sink, free_port

pytestmark = pytest.mark.django_db


class ByRecipient(Sink):
    """Answers RCPT by the recipient: "perm..." 550, "temp..." 451, others 250."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("perm"):
            return "550 5.1.1 No such user"
        if address.startswith("temp"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    handler = ByRecipient()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    yield handler
    controller.stop()


def enqueue(to: str) -> EmailDelivery:
    return email_enqueue(to=to, subject="Reset your password", text_body="Follow the link\n")


def test_one_task_sends_the_batch_and_each_row_ends_by_its_own_answer(smtp, worker, settings):
    settings.REKEY_SMTP_CONCURRENCY = 3
    ok = enqueue("ok@example.com")
    perm = enqueue("perm@example.com")
    temp = enqueue("temp@example.com")
    ok2 = enqueue("ok2@example.com")

    worker()

    ok.refresh_from_db()
    perm.refresh_from_db()
    temp.refresh_from_db()
    ok2.refresh_from_db()
    assert len(smtp.received) == 2  # the refused ones never reached DATA
    assert (ok.status, ok.attempts, ok.sealed) == (DeliveryStatus.SENT, 1, "")
    assert (ok2.status, ok2.attempts) == (DeliveryStatus.SENT, 1)
    # Refused for good: failed at once, fn logged.
    assert (perm.status, perm.attempts) == (DeliveryStatus.FAILED, 1)
    assert perm.last_error == "SMTPRecipientsRefused (SMTP 550)"
    assert LogEvent.objects.filter(
        type=LogType.FAILED_NOTIFICATION, details__delivery_id=perm.pk
    ).exists()
    # Refused for now: queued again after its backoff, the Message-ID kept for the resend.
    assert (temp.status, temp.attempts) == (DeliveryStatus.QUEUED, 1)
    assert temp.last_error == "SMTPRecipientsRefused (SMTP 451)"
    assert temp.next_attempt_at > timezone.now() + timedelta(seconds=3)
    assert temp.message_id == message_id_for(temp)
    assert not LogEvent.objects.filter(details__delivery_id=temp.pk).exists()
    # Every row has its own Message-ID, and the sent ones went out with it.
    assert sorted(smtp.message_ids()) == sorted([ok.message_id, ok2.message_id])
    assert perm.message_id == message_id_for(perm)
    # The first task sent the batch; the other rows' own tasks found nothing to claim.
    results = sorted(
        DBTaskResult.objects.filter(task_path__endswith="email_deliver").values_list(
            "return_value", flat=True
        ),
        key=str,
    )
    assert results.count("skipped") == 3, results


def test_a_batch_takes_at_most_the_batch_size(smtp, worker, settings):
    settings.REKEY_EMAIL_BATCH_SIZE = 2
    for n in range(5):
        enqueue(f"ok{n}@example.com")

    worker(max_tasks=1)

    assert EmailDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
    assert EmailDelivery.objects.filter(status=DeliveryStatus.QUEUED).count() == 3


# --- the claim itself, on whichever database the run uses ------------------------------------


def test_a_claim_takes_the_oldest_due_queued_rows_once(settings):
    rows = [enqueue(f"claim{n}@example.com") for n in range(5)]
    later = timezone.now() + timedelta(minutes=5)
    EmailDelivery.objects.filter(pk=rows[0].pk).update(next_attempt_at=later)  # not due yet
    EmailDelivery.objects.filter(pk=rows[1].pk).update(status=DeliveryStatus.SENT)
    now = timezone.now()

    first = deliveries_claim(now=now, limit=2)
    second = deliveries_claim(now=now, limit=2)
    third = deliveries_claim(now=now, limit=2)

    assert first == [rows[2].pk, rows[3].pk]
    assert second == [rows[4].pk]
    assert third == []
    claimed = EmailDelivery.objects.filter(pk__in=first + second)
    assert {(d.status, d.attempts) for d in claimed} == {(DeliveryStatus.SENDING, 1)}
    assert all(abs((d.updated_at - now).total_seconds()) < 1 for d in claimed)  # the lease
    untouched = EmailDelivery.objects.get(pk=rows[0].pk)
    assert (untouched.status, untouched.attempts) == (DeliveryStatus.QUEUED, 0)


def test_a_row_due_within_a_second_is_claimed(settings):
    row = enqueue("soon@example.com")
    now = timezone.now()
    EmailDelivery.objects.filter(pk=row.pk).update(
        next_attempt_at=now + timedelta(milliseconds=500)
    )

    assert deliveries_claim(now=now, limit=10) == [row.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_at_once_on_postgresql_take_disjoint_rows(postgres):
    rows = [enqueue(f"pg{n}@example.com") for n in range(6)]
    held = threading.Event()
    release = threading.Event()
    claims: dict[str, list[int]] = {}
    took: dict[str, float] = {}

    def first() -> None:
        try:
            with transaction.atomic():  # the rows stay locked until this commits
                claims["first"] = deliveries_claim(now=timezone.now(), limit=4)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert held.wait(10)
        start = time.monotonic()
        claims["second"] = deliveries_claim(now=timezone.now(), limit=4)
        took["second"] = time.monotonic() - start
    finally:
        release.set()
        thread.join(10)

    assert claims["first"] == [r.pk for r in rows[:4]]
    assert claims["second"] == [r.pk for r in rows[4:]]  # skipped the locked ones, no wait
    assert took["second"] < 2
    assert EmailDelivery.objects.filter(status=DeliveryStatus.SENDING).count() == 6


class Slow(Sink):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(1.2)
        return await super().handle_DATA(server, session, envelope)


def test_a_batch_starts_no_send_that_could_outlive_its_lease(settings, worker, caplog):
    # Lease 20 s and EMAIL_TIMEOUT 5 s leave the floor of 2 s to start sends in: two sends of
    # 1.2 s start, the other rows go back to the queue untried and the next task sends them.
    settings.REKEY_TASK_LEASE_SECONDS = 20
    settings.REKEY_SMTP_CONCURRENCY = 1
    handler = Slow()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    rows = [enqueue(f"slow{n}@example.com") for n in range(4)]
    try:
        worker(max_tasks=1)
        after_first = {
            d.to: (d.status, d.attempts)
            for d in EmailDelivery.objects.filter(pk__in=[r.pk for r in rows])
        }
        worker()
    finally:
        controller.stop()

    assert after_first == {
        "slow0@example.com": (DeliveryStatus.SENT, 1),
        "slow1@example.com": (DeliveryStatus.SENT, 1),
        "slow2@example.com": (DeliveryStatus.QUEUED, 0),
        "slow3@example.com": (DeliveryStatus.QUEUED, 0),
    }
    assert "2 deliveries handed back untried" in caplog.text
    final = EmailDelivery.objects.filter(pk__in=[r.pk for r in rows])
    assert {(d.status, d.attempts) for d in final} == {(DeliveryStatus.SENT, 1)}
    assert len(handler.received) == 4
