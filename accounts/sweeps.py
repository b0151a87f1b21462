"""The sweep's passes, registered by the apps that own the work (in their ``AppConfig.ready``).

``manage.py rekey_sweep`` (in emails) runs every registered pass each ``REKEY_SWEEP_INTERVAL``
seconds and every purge each ``REKEY_PURGE_INTERVAL``. The registry is on the ground floor so
that every app can register here and the command imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_passes: dict[str, Callable[[], Any]] = {}
_purges: dict[str, Callable[[], Any]] = {}


def sweep_register(name: str, sweep: Callable[[], Any]) -> None:
    """Run ``sweep`` on every pass; its answer is reported under ``name``."""
    _passes[name] = sweep


def purge_register(name: str, purge: Callable[[], Any]) -> None:
    """Run ``purge`` on the passes that purge; its answer is reported under ``name``."""
    _purges[name] = purge


def sweep_once(*, purge: bool) -> dict[str, Any]:
    """One pass: every registered sweep, and (when ``purge``) every registered purge."""
    result = {name: sweep() for name, sweep in _passes.items()}
    if purge:
        result.update({name: run() for name, run in _purges.items()})
    return result
