"""Issue 13: the embedded set-up (SQLite, the database queue) survives a SIGKILLed worker too.

Real processes on a SQLite file, as ``bin/run`` starts them: ``bin/worker --respawn`` and the
sweep, with SMTP to an aiosmtpd sink that takes its time, so that the worker is killed
mid-task. Every request still ends in one email per user.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
from collections import defaultdict
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.ops.livestack import BIN, ROOT, base_env, free_port
from tests.ops.test_procfile import descendants
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.live

USERS = 12


class SlowSink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_recipient: dict[str, list[str]] = defaultdict(list)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.3)
        message_id = str(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"])
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.by_recipient[rcpt].append(message_id)
        return "250 OK"


def hook_emails(hooks: Receiver) -> set[str]:
    return {item.payload["data"]["email"] for item in hooks.received if item.payload}


def streamed(stream: Receiver) -> list[dict]:
    """The scpr events a log stream delivered, in the order received (repeats included)."""
    events = [event for item in stream.received for event in json.loads(item.body)]
    return [event for event in events if event["data"]["type"] == "scpr"]


def manage(env, *args: str) -> str:
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def test_the_embedded_queue_survives_a_killed_worker(tmp_path):
    sink = SlowSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = base_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'rekey.sqlite3'}",
        REDIS_URL="",
        REKEY_TASKS="db",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        REKEY_TASK_LEASE_SECONDS="8",
        REKEY_SWEEP_INTERVAL="1",
        REKEY_LOCAL_INBOX_ECHO="0",
        RATELIMIT_ENABLE="0",
        REKEY_WEBHOOK_ALLOW_PRIVATE="1",
    )
    env.pop("DATABASE_URL_TEST", None)
    manage(env, "migrate", "-v0")
    emails = [f"embedded{n}@example.com" for n in range(USERS)]
    # A webhook receiver for the same requests: the killed worker loses no event either.
    hooks = Receiver()
    hooks.secrets = [
        manage(
            env,
            "shell",
            "-v0",
            "-c",
            "from webhooks.services import endpoint_create\n"
            f"print(endpoint_create(url={hooks.url!r}, events=['password.reset_requested'])[1])",
        ).strip()
    ]
    # And a log stream of the same requests' scpr rows: in order, at least once.
    stream = Receiver()
    manage(
        env,
        "shell",
        "-v0",
        "-c",
        "from webhooks.streams import log_stream_create\n"
        f"log_stream_create(name='SIEM', endpoint={stream.url!r}, "
        "filters=[{'type': 'category', 'name': 'user.notification'}])",
    )
    manage(
        env,
        "shell",
        "-v0",
        "-c",
        "from tests.factories import ConnectionFactory, UserFactory\n"
        "from tickets.requests import reset_request_accept\n"
        "c = ConnectionFactory()\n"
        f"for e in {emails!r}:\n"
        "    UserFactory(connection=c, email=e)\n"
        "    reset_request_accept(email=e, connection=c)\n",
    )
    stack = [
        subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=open(tmp_path / f"{name}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, cmd in (
            ("worker", [str(ROOT / "bin" / "worker"), "--respawn"]),
            ("sweep", [str(BIN / "python"), "manage.py", "rekey_sweep"]),
        )
    ]
    try:
        deadline = time.monotonic() + 30
        while not sink.by_recipient and time.monotonic() < deadline:
            time.sleep(0.05)
        [victim] = [
            pid for pid, cmd in descendants(stack[0].pid) if "manage.py rekey_worker" in cmd
        ]
        os.kill(victim, signal.SIGKILL)  # mid-task: the sink holds each message 0.3 s

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            len(sink.by_recipient) < USERS
            or len(hook_emails(hooks)) < USERS
            or len({e["data"]["user_name"] for e in streamed(stream)}) < USERS
        ):
            time.sleep(0.2)
        time.sleep(1)
        log = (tmp_path / "worker.log").read_text()[-2000:]
        assert sorted(sink.by_recipient) == sorted(emails), log
        for rcpt, ids in sink.by_recipient.items():
            assert len(set(ids)) == 1, (rcpt, ids)
        # Every request's event arrived, verified by standardwebhooks; a resend keeps its id.
        assert sorted(hook_emails(hooks)) == sorted(emails)
        assert all(item.verified_with for item in hooks.received)
        by_email: dict[str, set[str]] = defaultdict(set)
        for item in hooks.received:
            by_email[item.payload["data"]["email"]].add(item.headers["webhook-id"])
        assert all(len(ids) == 1 for ids in by_email.values()), by_email
        # The stream: every request's row, in the order of the log (a resent batch repeats).
        rows = streamed(stream)
        assert sorted({e["data"]["user_name"] for e in rows}) == sorted(emails)
        in_log_order = manage(
            env,
            "shell",
            "-v0",
            "-c",
            "from accounts.models import LogEvent\n"
            "print(' '.join(LogEvent.objects.filter(type='scpr').order_by('pk')"
            ".values_list('log_id', flat=True)))",
        ).split()
        assert list(dict.fromkeys(e["log_id"] for e in rows)) == in_log_order
        statuses = manage(
            env,
            "shell",
            "-v0",
            "-c",
            "from emails.models import EmailDelivery\n"
            "print(sorted(set(EmailDelivery.objects.values_list('status', flat=True))), "
            "EmailDelivery.objects.count())",
        )
        assert statuses.strip() == f"['sent'] {USERS}"
    finally:
        for proc in stack:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in stack:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        controller.stop()
        hooks.stop()
        stream.stop()
