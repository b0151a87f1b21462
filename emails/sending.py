"""How a worker talks to the outbox and the provider: batch claims and a pool of SMTP connections.

One delivery task claims up to ``REKEY_EMAIL_BATCH_SIZE`` ready rows in one statement (the
other rows' own tasks then find nothing and cost one query), and sends them over up to
``REKEY_SMTP_CONCURRENCY`` SMTP connections at once, so that one slow answer from the provider
does not hold up the rest of the batch. Each connection belongs to one thread and is kept for
``REKEY_SMTP_REUSE_SECONDS``, across tasks. Every claimed row keeps its own lease, attempts and
Message-ID: the claim is the same conditional UPDATE as one row's, for several rows.
"""

from __future__ import annotations

import contextlib
import smtplib
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection

from emails.models import DeliveryStatus, EmailProvider
from emails.provider import email_provider_in_use, provider_backend

_mailer = threading.local()
# A dropped idle connection shows up as one of these on the next send: reconnect, send once more.
_STALE_CONNECTION = (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError)


# Oldest first, through the (status, -created_at) index; every value is a parameter.
_CLAIM_SQL = (
    "UPDATE emails_emaildelivery SET status = %s, attempts = attempts + 1, updated_at = %s "
    "WHERE status = %s AND id IN ("
    "SELECT id FROM emails_emaildelivery WHERE status = %s "
    "AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
    "ORDER BY created_at, id LIMIT %s) RETURNING id"
)


def deliveries_claim(*, now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` ready queued deliveries for this worker; returns their pks.

    One statement: ``queued`` rows that are due (a second of slack for a wake-up that comes a
    little early) become ``sending`` with one more attempt and a fresh lease (``updated_at``).
    On PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``, so two workers never wait for
    each other nor claim the same row; SQLite runs one writer at a time, so the UPDATE with its
    subquery is atomic there as it stands. The outer ``status`` test re-checks each row after
    its lock (READ COMMITTED re-evaluates it on the row's newest version).
    """
    sql = _CLAIM_SQL
    if connection.features.has_select_for_update_skip_locked:
        sql = sql.replace("LIMIT %s)", "LIMIT %s FOR UPDATE SKIP LOCKED)")
    stamp = connection.ops.adapt_datetimefield_value(now)
    due = connection.ops.adapt_datetimefield_value(now + timedelta(seconds=1))
    params = [
        DeliveryStatus.SENDING,
        stamp,
        DeliveryStatus.QUEUED,
        DeliveryStatus.QUEUED,
        due,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())  # RETURNING keeps no order


def _mailer_close() -> None:
    cached = getattr(_mailer, "cached", None)
    _mailer.cached = None
    if cached is not None:
        with contextlib.suppress(Exception):
            cached[1].close()


def _send(
    message: EmailMultiAlternatives,
    *,
    provider: EmailProvider | None = None,
    retried: bool = False,
) -> None:
    """Send through the tenant's email provider when one is given (enabled), else the default
    mailer (EMAIL_BACKEND), reusing this thread's SMTP connection.

    Opening an SMTP connection (and TLS, and AUTH) costs more than sending one message, so a
    worker keeps its connection for up to REKEY_SMTP_REUSE_SECONDS. Other backends are used
    as Django uses them. A change of the provider (its row's update time) opens a new one.
    """
    if provider is not None:
        config = f"provider:{provider.pk}:{provider.updated_at.isoformat()}"
    else:
        config = repr(settings.MAILERS.get("default"))
    cached = getattr(_mailer, "cached", None)
    now = time.monotonic()
    if cached is not None and (
        cached[0] != config or now - cached[2] > settings.REKEY_SMTP_REUSE_SECONDS
    ):
        _mailer_close()
        cached = None
    if cached is None:
        backend = provider_backend(provider) if provider is not None else mailers.default
        if not isinstance(backend, SMTPBackend):
            backend.send_messages([message])
            return
        backend.open()
        cached = _mailer.cached = (config, backend, now)
        fresh = True
    else:
        fresh = False
    try:
        cached[1].send_messages([message])
    except Exception as exc:
        _mailer_close()
        if not fresh and not retried and isinstance(exc, _STALE_CONNECTION):
            _send(message, provider=provider, retried=True)
            return
        raise


class NotStarted(Exception):
    """A message of a batch not sent because the batch ran out of its lease: hand it back."""


_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _smtp_pool() -> ThreadPoolExecutor | None:
    """The worker's SMTP threads (each with its own reused connection); None for one."""
    global _pool, _pool_size
    size = settings.REKEY_SMTP_CONCURRENCY
    if size <= 1:
        return None
    with _pool_lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.submit(_mailer_close)
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="rekey-smtp")
            _pool_size = size
        return _pool


def send_budget() -> float:
    """Seconds after its claim in which a batch may still start a send.

    A send started then ends (or times out, after EMAIL_TIMEOUT) before the task's time limit
    (the lease less 10 s: ``emails.engine.job_timeout``) and so before the lease: the sweep never
    hands back a row whose message may still be on its way, and RQ never stops a batch midway.
    At least 2 s, in which a worker sends far more than a batch when the provider is well.
    """
    options: dict[str, Any] = _mailer_config().get("OPTIONS", {})
    timeout = float(options.get("timeout") or 30)
    return max(2.0, settings.REKEY_TASK_LEASE_SECONDS - 15 - timeout)


# How often a batch waiting on its sends reports what is done, so that sent rows are recorded
# promptly (a worker killed mid-batch resends only what was in flight) yet in bulk.
TICK_SECONDS = 0.05


def messages_send(
    messages: Sequence[EmailMultiAlternatives], *, budget: float
) -> Iterator[tuple[int, BaseException | None] | None]:
    """Send messages, over the SMTP pool when the mailer is SMTP, yielding outcomes as they come.

    Yields ``(index, None)`` for a message sent, ``(index, exception)`` for one that failed
    (``NotStarted`` when the budget ran out before its turn), and ``None`` every
    ``TICK_SECONDS`` while nothing finishes. Other backends (the local inbox writes to the
    database, ESPs' clients) send from the calling thread, one after the other.
    """
    deadline = time.monotonic() + budget
    # Read once, in the task's thread: the pool's threads never touch the database.
    provider = email_provider_in_use()

    def one(message: EmailMultiAlternatives) -> BaseException | None:
        if time.monotonic() > deadline:
            return NotStarted()
        try:
            _send(message, provider=provider)
        except Exception as exc:
            return exc
        return None

    pool = _smtp_pool() if len(messages) > 1 and _smtp_mailer(provider) else None
    if pool is None:
        for index, message in enumerate(messages):
            yield index, one(message)
        return
    futures = {pool.submit(one, message): index for index, message in enumerate(messages)}
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=TICK_SECONDS, return_when=FIRST_COMPLETED)
        if not done:
            yield None
        for future in done:
            yield futures[future], future.result()


def _mailer_config() -> dict[str, Any]:
    config: dict[str, Any] = dict(settings.MAILERS).get("default") or {}
    return config


def _smtp_mailer(provider: EmailProvider | None) -> bool:
    if provider is not None:
        return provider.name == "smtp"
    return str(_mailer_config().get("BACKEND", "")).endswith("smtp.EmailBackend")
