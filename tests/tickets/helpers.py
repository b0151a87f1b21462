"""Counting helpers for the identical-answer checks (they observe; nothing is replaced)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection
from django.tasks.signals import task_enqueued
from django.test.utils import CaptureQueriesContext


class CountingArgon2Hasher(Argon2PasswordHasher):
    """Argon2 that counts how often it hashes or verifies (installed first in the tests)."""

    algorithm = "argon2"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)

    def verify(self, password, encoded):
        type(self).calls += 1
        return super().verify(password, encoded)


@dataclass
class Work:
    queries: int = 0
    hashes: int = 0
    enqueues: list[str] = field(default_factory=list)


@contextlib.contextmanager
def counting_work() -> Iterator[Work]:
    """Count SQL queries, password hashes and task enqueues done inside the block."""
    work = Work()

    def on_enqueue(sender, task_result, **kwargs):
        work.enqueues.append(task_result.task.name)

    task_enqueued.connect(on_enqueue, dispatch_uid="counting_work")
    before = CountingArgon2Hasher.calls
    try:
        with CaptureQueriesContext(connection) as queries:
            yield work
    finally:
        task_enqueued.disconnect(dispatch_uid="counting_work")
    work.queries = len(queries)
    work.hashes = CountingArgon2Hasher.calls - before
