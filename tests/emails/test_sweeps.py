"""The sweep command runs what the apps registered, and emails imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from accounts.sweeps import sweep_once

pytestmark = pytest.mark.django_db

EMAILS = Path(__file__).resolve().parents[2] / "emails"


def test_every_app_registered_its_passes_and_purges():
    assert set(sweep_once(purge=True)) == {
        "tasks",
        "outbox",
        "jobs",
        "requests",
        "webhooks",
        "log_streams",
        "purged_tasks",
        "purged_tickets",
        "purged_exports",
    }
    assert "purged_tickets" not in sweep_once(purge=False)


def test_emails_imports_no_app_above_it():
    upward = []
    for path in EMAILS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            upward += [
                f"{path.relative_to(EMAILS.parent)}: {name}"
                for name in names
                if name.split(".")[0] in {"tickets", "webhooks", "dashboard"}
            ]
    assert upward == []
