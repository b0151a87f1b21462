"""auth0-python 4.x (the hand-written client many migrating apps still run) and 5.x (the first
generated one) against Rekey; 6.x, in the project's environment, has tests/api/test_auth0_sdk.py.

Each is installed once per machine into a cache folder (``REKEY_SDK_CACHE``, default
``~/.cache/rekey-sdk``) with ``pip install --target`` and run in a subprocess with it first on
the path.
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
SCRIPTS = Path(__file__).parent / "python_sdk"


@pytest.fixture(scope="session", params=["4", "5"])
def auth0_python(request) -> tuple[str, Path]:
    major = request.param
    cache = Path(os.environ.get("REKEY_SDK_CACHE", Path.home() / ".cache" / "rekey-sdk"))
    folder = cache / f"python-auth0-{major}"
    if not (folder / "auth0").is_dir():
        pip = [sys.executable, "-m", "pip", "install", "-q", "--target", str(folder)]
        installed = subprocess.run(
            [*pip, f"auth0-python=={major}.*"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if installed.returncode:
            pytest.skip(f"auth0-python {major}.x could not be installed: {installed.stderr[-300:]}")
    return major, folder


def test_auth0_python_calls(auth0_python, rekey, sdk_token, connection, m2m):  # noqa: F811
    major, folder = auth0_python
    UserFactory(connection=connection, email="ada@example.com")
    other = ConnectionFactory(name="Second-DB")  # a second page for the checkpoint cursor
    script = SCRIPTS / f"migration_calls_v{major}.py"
    result = subprocess.run(
        [sys.executable, str(script), rekey, sdk_token, connection.name, connection.id],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(folder)},
    )

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["created_user_id"] == f"auth0|py{major}f0c1a2b"
    assert out["fetched_email"] == f"py{major}-migrated@example.com"
    assert out["deleted"] is True
    assert not User.objects.filter(user_id=f"auth0|py{major}f0c1a2b").exists()
    assert sorted(out["connection_names"]) == sorted([connection.name, other.name])
    assert out["connection_strategy"] == "auth0"
    assert out["log_types"] == ["sdu"]
    assert out["ticket"].startswith(f"http://{rekey}/u/reset-password?ticket=")
