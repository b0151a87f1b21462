"""Fixtures of the tickets tests: the real worker loop and the embedded email backend."""

from __future__ import annotations

import pytest

from tests.emails.worker import run_worker


@pytest.fixture(autouse=True)
def _local_inbox(settings):
    # Django's test set-up swaps the mailers for locmem; put back the product's default.
    settings.MAILERS = {"default": {"BACKEND": "emails.backends.LocalInboxBackend"}}


@pytest.fixture
def worker():
    """Run every ready task through django-tasks-db's own worker loop (``db_worker --batch``)."""
    return run_worker
