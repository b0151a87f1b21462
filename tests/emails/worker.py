"""Drive the product's real worker (``manage.py rekey_worker --batch``: django-tasks-db's loop)."""

from __future__ import annotations

import contextlib
from unittest import mock

from django.db import connection
from django_tasks_db.management.commands import db_worker

from emails.queue import _worker_class


def run_worker(max_tasks: int | None = None) -> None:
    """Run ready tasks of every queue until none is left (tasks enqueued meanwhile included)."""
    keep_connection: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if connection.in_atomic_block:
        # Inside a test's wrapping transaction the worker's close_old_connections() would close
        # the connection (its autocommit differs from the settings') and lose the test's data on
        # PostgreSQL; the claim/run/record loop itself runs unchanged.
        keep_connection = mock.patch.object(db_worker, "close_old_connections", lambda: None)
    with keep_connection:
        _worker_class()(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id="pytest",
            excluded_queue_names=[],
        ).run()
