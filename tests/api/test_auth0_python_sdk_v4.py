"""auth0-python 4.x (the hand-written client many migrating apps still run) against Rekey.

The SDK is installed once per machine into a cache folder (``REKEY_SDK_CACHE``, default
``~/.cache/rekey-sdk``) with ``pip install --target``, beside the 6.x in the project's
environment, and run in a subprocess with it first on the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import User
from tests.api.test_auth0_sdk import rekey, sdk_token  # noqa: F401 (fixtures)
from tests.factories import ConnectionFactory, UserFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SCRIPT = Path(__file__).parent / "python_sdk" / "migration_calls_v4.py"


@pytest.fixture(scope="session")
def auth0_python_4() -> Path:
    cache = Path(os.environ.get("REKEY_SDK_CACHE", Path.home() / ".cache" / "rekey-sdk"))
    folder = cache / "python-auth0-4"
    if not (folder / "auth0").is_dir():
        installed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--target",
                str(folder),
                "auth0-python==4.*",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if installed.returncode:
            pytest.skip(f"auth0-python 4.x could not be installed: {installed.stderr[-300:]}")
    return folder


def test_auth0_python_4_calls(auth0_python_4, rekey, sdk_token, connection, m2m):  # noqa: F811
    UserFactory(connection=connection, email="ada@example.com")
    other = ConnectionFactory(name="Second-DB")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), rekey, sdk_token, connection.name, connection.id],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(auth0_python_4)},
    )

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["created_user_id"] == "auth0|py4f0c1a2b"
    assert out["fetched_email"] == "py4-migrated@example.com"
    assert out["deleted"] is True
    assert not User.objects.filter(user_id="auth0|py4f0c1a2b").exists()
    assert sorted(out["connection_names"]) == sorted([connection.name, other.name])
    assert out["connection_strategy"] == "auth0"
    assert out["log_types"] == ["sdu"]
    assert out["ticket"].startswith(f"http://{rekey}/u/reset-password?ticket=")
