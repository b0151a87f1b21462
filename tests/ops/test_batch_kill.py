"""Issue 13: a worker SIGKILLed in the middle of a batch loses nothing and renames nothing.

Real processes on a SQLite file (the embedded set-up): ``manage.py rekey_worker`` claims a
batch of deliveries and sends it over its SMTP pool to an aiosmtpd sink that takes its time; it
is killed mid-batch. The rows it held come back only after their lease (through the real
``rekey_sweep``), each is sent by the next worker, and every resend keeps its Message-ID.
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
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.ops.livestack import BIN, ROOT, base_env, free_port

pytestmark = pytest.mark.live

EMAILS = 12
LEASE = 10
CONCURRENCY = 2


class SlowSink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_recipient: dict[str, list[str]] = defaultdict(list)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.4)
        message_id = str(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"])
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.by_recipient[rcpt].append(message_id)
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(len(ids) for ids in self.by_recipient.values())


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


def rows(env) -> dict[str, dict[str, object]]:
    out = manage(
        env,
        "shell",
        "-v0",
        "-c",
        "import json\n"
        "from emails.models import EmailDelivery\n"
        "print(json.dumps({d.to: {'status': d.status, 'attempts': d.attempts, "
        "'message_id': d.message_id, 'updated_at': d.updated_at.isoformat(), "
        "'sent_at': d.sent_at and d.sent_at.isoformat()} for d in EmailDelivery.objects.all()}))",
    )
    return json.loads(out.strip().splitlines()[-1])


def start(env, tmp_path, name: str, *cmd: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "python"), "manage.py", *cmd],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / f"{name}.log", "wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_worker_killed_mid_batch_hands_its_rows_back_after_the_lease(tmp_path):
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
        EMAIL_TIMEOUT="2",
        REKEY_TASK_LEASE_SECONDS=str(LEASE),
        REKEY_SWEEP_INTERVAL="1",
        REKEY_EMAIL_BATCH_SIZE=str(EMAILS),
        REKEY_SMTP_CONCURRENCY=str(CONCURRENCY),
        REKEY_LOCAL_INBOX_ECHO="0",
    )
    env.pop("DATABASE_URL_TEST", None)
    manage(env, "migrate", "-v0")
    recipients = [f"batch{n}@example.com" for n in range(EMAILS)]
    manage(
        env,
        "shell",
        "-v0",
        "-c",
        "from emails.services import email_enqueue\n"
        f"for to in {recipients!r}:\n"
        "    email_enqueue(to=to, subject='Reset', text_body='Follow the link')\n",
    )
    victim = start(env, tmp_path, "victim", "rekey_worker")
    procs = [victim]
    try:
        deadline = time.monotonic() + 60
        while sink.total() < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sink.total() >= 1, (tmp_path / "victim.log").read_text()[-2000:]
        os.kill(victim.pid, signal.SIGKILL)  # mid-batch: the sink holds each message 0.4 s
        victim.wait()
        killed_at = time.time()

        held = {to: row for to, row in rows(env).items() if row["status"] == "sending"}
        # The batch was all claimed at once, and most of it was still unsent.
        assert len(held) >= EMAILS - CONCURRENCY * 2, held

        procs.append(start(env, tmp_path, "sweep", "rekey_sweep"))
        procs.append(start(env, tmp_path, "worker", "rekey_worker"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(sink.by_recipient) == EMAILS and all(
                row["status"] == "sent" for row in rows(env).values()
            ):
                break
            time.sleep(0.5)
        time.sleep(1)  # any duplicate would arrive now

        after = rows(env)
        assert sorted(sink.by_recipient) == sorted(recipients)
        assert {row["status"] for row in after.values()} == {"sent"}
        for to, ids in sink.by_recipient.items():
            # One message per recipient: a resend (of what was in flight) keeps its id.
            assert set(ids) == {after[to]["message_id"]}, (to, ids)
        # Only what was on the wire when the worker died can arrive twice.
        assert sink.total() <= EMAILS + CONCURRENCY
        for to, row in held.items():
            claimed = datetime.fromisoformat(str(row["updated_at"]))
            sent = datetime.fromisoformat(str(after[to]["sent_at"]))
            assert sent >= claimed + timedelta(seconds=LEASE), (to, row, after[to])
            assert after[to]["attempts"] == 2  # the dead worker's attempt counts
        assert time.time() - killed_at < 60
    finally:
        for proc in procs:
            stop(proc)
        controller.stop()
