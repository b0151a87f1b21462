"""Production start-up refuses to run without SECRET_KEY or PUBLIC_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "PUBLIC_URL", "DEBUG"}}
    clean.update(REKEY_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_is_a_clear_startup_error(tmp_path) -> None:
    result = start({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_without_public_url_is_a_clear_startup_error(tmp_path) -> None:
    result = start(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "SECRET_KEY": "k"}, tmp_path
    )
    assert result.returncode != 0
    assert "PUBLIC_URL must be set in production" in result.stderr


def test_embedded_setup_generates_its_secret_key_once(tmp_path) -> None:
    assert start({"DATABASE_URL": ""}, tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert start({"DATABASE_URL": ""}, tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
