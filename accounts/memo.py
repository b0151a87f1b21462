"""Reads kept for the length of one worker batch: configuration, not data.

A worker batch (forgot-password requests, outbox deliveries) reads the same connection,
application, template, provider and tenant settings for each of its rows. Inside
``batch_memo()`` each such read is made once; outside one (a page, an API call) every call
reads the database. A batch lasts well under a second, so a change made meanwhile is seen by
the next batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from typing import Any

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("rekey_batch_memo", default=None)


@contextlib.contextmanager
def batch_memo() -> Iterator[None]:
    """Within this block, ``memoized`` reads are made once each."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized[T](key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, once per batch for ``key`` (every time outside a batch)."""
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]  # type: ignore[no-any-return]
