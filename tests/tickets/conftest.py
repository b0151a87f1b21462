"""Helpers for the tickets tests: run the real worker loop in-process."""

from __future__ import annotations

import pytest

from tests.emails.worker import run_worker


@pytest.fixture
def worker():
    """Run every ready task through django-tasks-db's own worker loop (``db_worker --batch``)."""
    return run_worker
