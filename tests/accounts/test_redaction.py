"""A reset link's ticket never reaches a log line: gunicorn's access log and Python logging."""

from __future__ import annotations

import http.client
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounts.redaction import RedactSecretsFilter, redact

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cr3t-T0KEN-that-would-reset-a-password-aaaaaaaa"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redact_replaces_every_secret_parameter_and_keeps_the_rest():
    line = f'GET /u/reset-password?ticket={TOKEN}&ui_locales=ja HTTP/1.1" 302 errorCode=x code=42'

    assert redact(line) == (
        'GET /u/reset-password?ticket=[redacted]&ui_locales=ja HTTP/1.1" 302 errorCode=x '
        "code=[redacted]"
    )


def test_python_log_records_are_redacted():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"GET %s HTTP/1.1" 302',
        (f"/x?ticket={TOKEN}",),
        None,
    )

    RedactSecretsFilter().filter(record)

    assert TOKEN not in record.getMessage()
    assert "ticket=[redacted]" in record.getMessage()


@pytest.mark.live
def test_attack_the_gunicorn_access_log_never_holds_a_reset_ticket(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "REKEY_VAR_DIR": str(tmp_path),
        "REKEY_TESTING": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    python = Path(sys.executable)
    subprocess.run(
        [str(python), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    log = tmp_path / "access.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(python.with_name("gunicorn")),
                "-c",
                "config/gunicorn.conf.py",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", f"/u/reset-password?ticket={TOKEN}")
                    status = conn.getresponse().status
                    conn.close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    text = log.read_text()
    assert status == 400  # an unknown ticket
    assert "/u/reset-password?ticket=[redacted]" in text
    assert TOKEN not in text
