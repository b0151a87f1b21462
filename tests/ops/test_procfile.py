"""Issue 13: the documented production shape, started through deploy/Procfile with honcho.

Two gunicorn servers, two RQ workers and the sweep on PostgreSQL and Redis, SMTP to an
aiosmtpd sink. One worker is SIGKILLed while requests are in flight: every accepted request
still ends in exactly one email per user (a resend after the kill, if any, carries the same
Message-ID, as the issue allows), and no delivery is left behind.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from emails.models import DeliveryStatus, EmailDelivery
from tests.factories import ConnectionFactory, UserFactory
from tests.ops.livestack import BIN, ROOT, base_env, free_port, wait_for_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

USERS = 40
# SMTP connections a worker sends over: at most this many messages are on the wire when it is
# killed, and only those may arrive twice (docs/deploy.md).
SMTP_CONCURRENCY = 2
DEADLINE = 75  # seconds for every email to arrive, the killed worker's included


class SlowSink:
    """Takes each message after a short pause, so that workers are caught mid-send."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_recipient: dict[str, list[str]] = defaultdict(list)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.15)
        message_id = str(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"])
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.by_recipient[rcpt].append(message_id)
        return "250 OK"


def two_free_ports() -> int:
    """A free port whose successor is free too (honcho gives web.1 PORT, web.2 PORT + 1)."""
    for _ in range(50):
        base = free_port()
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", base + 1))
            return base
        except OSError:
            continue
    raise RuntimeError("no pair of free ports")


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process under ``pid``."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[ppid].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                cmd = (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            found.append((child, cmd.decode(errors="replace")))
            todo.append(child)
    return found


def flush_rq(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter("rq:*"))
    if keys:
        client.delete(*keys)


def diagnosis(missing: list[str], log: Path) -> str:
    """What became of the requests of the emails that did not arrive, and what went wrong."""
    from tickets.models import PasswordChangeTicket, ResetRequest

    rows = [
        (
            email,
            list(
                EmailDelivery.objects.filter(to=email).values_list(
                    "status", "attempts", "last_error"
                )
            ),
            PasswordChangeTicket.objects.filter(user__email=email).count(),
            ResetRequest.objects.filter(email=email).values_list("runs", "woken_at").first(),
        )
        for email in missing
    ]
    lines = log.read_text().splitlines()
    troubles = "\n".join([line for line in lines if "HTTP/1.1" not in line][-60:])
    return f"missing (deliveries, tickets, pending request): {rows!r}\n{troubles}"


def test_two_webs_two_workers_exactly_once_across_a_killed_worker(postgres, redis, tmp_path):
    ConnectionFactory()
    emails = [UserFactory(email=f"proc{n}@example.com").email for n in range(USERS)]
    flush_rq(settings.REDIS_URL)

    sink = SlowSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()

    db = connection.settings_dict
    base = two_free_ports()
    env = base_env(
        tmp_path,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        REKEY_CACHE_PREFIX=f"procfile{os.getpid()}",
        REKEY_TASKS="rq",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        REKEY_TASK_LEASE_SECONDS="15",
        REKEY_SWEEP_INTERVAL="1",
        REKEY_TASK_RETRY_BACKOFF="1,2,5",
        RATELIMIT_ENABLE="0",
        REKEY_SMTP_CONCURRENCY=str(SMTP_CONCURRENCY),
        THREADS="4",
        PATH=f"{BIN}:{os.environ.get('PATH', '')}",
    )
    env.pop("PORT", None)
    honcho = subprocess.Popen(
        [
            str(BIN / "honcho"),
            "-f",
            "deploy/Procfile",
            "-d",
            str(ROOT),
            "start",
            "-p",
            str(base),
            "-c",
            "web=2,worker=2,sweep=1",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / "honcho.log", "wb"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        webs = [f"http://127.0.0.1:{base}", f"http://127.0.0.1:{base + 1}"]
        for url in webs:
            wait_for_port(int(url.rsplit(":", 1)[1]), timeout=60)

        def worker_pids() -> list[int]:
            return [
                pid
                for pid, cmd in descendants(honcho.pid)
                if "manage.py rekey_worker" in cmd and "bash" not in cmd
            ]

        deadline = time.monotonic() + 30
        while len(worker_pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(worker_pids()) == 2, (tmp_path / "honcho.log").read_text()[-3000:]

        def ask(n: int) -> int:
            return requests.post(
                f"{webs[n % 2]}/dbconnections/change_password",
                json={"email": emails[n], "connection": "Username-Password-Authentication"},
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            first = list(pool.map(ask, range(USERS // 2)))
            # Wait until a worker is mid-send, then kill it without warning.
            until = time.monotonic() + 10
            while time.monotonic() < until and not sink.by_recipient:
                time.sleep(0.05)
            victim = worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            rest = list(pool.map(ask, range(USERS // 2, USERS)))
        assert first + rest == [200] * USERS

        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if (
                len(sink.by_recipient) == USERS
                and not EmailDelivery.objects.exclude(status=DeliveryStatus.SENT).exists()
            ):
                break
            time.sleep(0.5)
        time.sleep(2)  # any duplicate would arrive now

        missing = sorted(set(emails) - set(sink.by_recipient))
        assert not missing, diagnosis(missing, tmp_path / "honcho.log")
        for rcpt, ids in sink.by_recipient.items():
            assert len(set(ids)) == 1, (rcpt, ids)  # one message (a resend keeps its id)
        assert sum(len(ids) for ids in sink.by_recipient.values()) <= USERS + SMTP_CONCURRENCY
        assert EmailDelivery.objects.count() == USERS
        assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"sent"}
        assert victim not in worker_pids()
    finally:
        with_group = os.getpgid(honcho.pid)
        os.killpg(with_group, signal.SIGTERM)
        try:
            honcho.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(with_group, signal.SIGKILL)
            honcho.wait()
        controller.stop()
        flush_rq(settings.REDIS_URL)
