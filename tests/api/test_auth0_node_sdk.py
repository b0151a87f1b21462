"""Auth0's npm SDK (`auth0` 4.x) against a live Rekey, changing only the domain.

The SDK is installed once per machine into a cache folder (``REKEY_SDK_CACHE``, default
``~/.cache/rekey-sdk``) by ``npm``; without node or npm the test skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from accounts.jobs.models import Job
from accounts.models import User
from emails.models import EmailDelivery
from tests.api.test_auth0_sdk import rekey, sdk_token  # noqa: F401 (fixtures)
from tests.emails.worker import run_worker
from tests.factories import ConnectionFactory, UserFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SCRIPT = Path(__file__).parent / "node_sdk" / "migration_calls.js"
NODE_SDK_VERSIONS = ["4"]
# 5.x and 7.x are generated clients with another API: a script of their own.
GENERATED_SDK_VERSIONS = ["5", "7"]
SCRIPT_V5 = Path(__file__).parent / "node_sdk" / "migration_calls_v5.js"


def node_sdk(major: str) -> Path:
    """A node_modules folder holding ``auth0@<major>``, installed once and kept."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed for the npm SDK")
    cache = Path(os.environ.get("REKEY_SDK_CACHE", Path.home() / ".cache" / "rekey-sdk"))
    folder = cache / f"node-auth0-{major}"
    if not (folder / "node_modules" / "auth0").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", f"auth0@{major}"],
            cwd=folder,
            check=True,
            timeout=300,
        )
    return folder / "node_modules"


@pytest.fixture(scope="session", params=NODE_SDK_VERSIONS)
def node_auth0(request) -> Path:
    return node_sdk(request.param)


@pytest.fixture(scope="session", params=GENERATED_SDK_VERSIONS)
def node_auth0_generated(request) -> Path:
    return node_sdk(request.param)


def test_the_calls_a_migration_makes(node_auth0, rekey, sdk_token, connection, m2m):  # noqa: F811
    result = subprocess.run(
        ["node", str(SCRIPT), rekey, sdk_token, connection.name, connection.id],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(node_auth0)},
    )

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["created_user_id"] == "auth0|node5f0c1a2b"
    assert out["deleted"] is True
    assert not User.objects.filter(user_id="auth0|node5f0c1a2b").exists()
    assert out["connections"]["connections"][0]["name"] == connection.name
    assert out["brute_force_protection"] is True
    assert out["client_ids"] == [m2m.client_id]
    assert out["grant_client_ids"] == [m2m.client_id]
    assert out["log_types"] == ["sdu"]
    assert out["template"] == "welcome_email"
    assert out["friendly_name"] == "Acme"
    assert out["import_job"] == {
        "id": out["import_job"]["id"],
        "status": "pending",
        "type": "users_import",
        "external_id": "node-1",
    }
    assert out["export_job"] == {
        "id": out["export_job"]["id"],
        "status": "pending",
        "format": "csv",
    }
    run_worker()
    assert Job.objects.get(pk=out["import_job"]["id"]).summary == {
        "failed": 0,
        "updated": 0,
        "inserted": 1,
        "total": 1,
    }
    assert User.objects.get(email="node-imported@example.com").user_id == "auth0|node-import-1"
    assert Job.objects.get(pk=out["export_job"]["id"]).status == "completed"
    assert out["verify_ticket"].startswith(f"http://{rekey}/u/email-verification?ticket=")
    assert out["verify_job"] == {"status": "completed", "type": "verification_email"}
    verified = EmailDelivery.objects.get(user__email="node-verify@example.com")
    assert verified.template_name == "verify_email"
    assert out["email_provider"] == {
        "name": "sendgrid",
        "enabled": False,
        "default_from_address": "Acme <no-reply@acme.example>",
        "settings": {},
    }


def test_the_generated_sdks_calls(node_auth0_generated, rekey, sdk_token, connection, m2m):  # noqa: F811
    UserFactory(connection=connection, email="ada@example.com")
    other = ConnectionFactory(name="Second-DB")  # a second page for the checkpoint cursor
    result = subprocess.run(
        ["node", str(SCRIPT_V5), rekey, sdk_token, connection.name, connection.id],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(node_auth0_generated)},
    )

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["created_user_id"] == "auth0|nodev5f0c1a2b"
    assert out["fetched_email"] == "node-v5-migrated@example.com"
    assert out["deleted"] is True
    assert not User.objects.filter(user_id="auth0|nodev5f0c1a2b").exists()
    # Every connection, one a page, by Auth0's checkpoint (from/take) and its "next".
    assert sorted(out["connection_names"]) == sorted([connection.name, other.name])
    assert out["connection_strategy"] == "auth0"
    assert out["log_types"] == ["sdu"]
    assert out["ticket"].startswith(f"http://{rekey}/u/reset-password?ticket=")
