"""``manage.py rekey_sweep``: hand back stalled work and purge old data, every few seconds."""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from accounts.sweeps import sweep_once
from emails.queue import tasks_in_database
from emails.resilience import infrastructure_down

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Queue again the tasks and deliveries whose worker died (lease run out), wake "
        "deliveries whose wake-up was lost, and purge task results and tickets past their "
        "retention. Runs for ever (every REKEY_SWEEP_INTERVAL seconds) unless --once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(str(sweep_once(purge=True)))
            return
        running = {"on": True}

        def stop(signum: int, frame: Any) -> None:
            running["on"] = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        scheduler = None
        if not tasks_in_database():
            from emails.engine import Scheduler

            scheduler = Scheduler()
        try:
            self._loop(running, scheduler)
        finally:
            if scheduler is not None:
                scheduler.stop()

    def _loop(self, running: dict[str, bool], scheduler: Any) -> None:
        last_purge = 0.0
        while running["on"]:
            close_old_connections()
            purge = time.monotonic() - last_purge > settings.REKEY_PURGE_INTERVAL
            try:
                sweep_once(purge=purge)
                if purge:
                    last_purge = time.monotonic()
            except Exception as exc:
                if not infrastructure_down(exc):
                    raise
                logger.error(
                    "sweep: the %s is unavailable (%s); trying again in %s s",
                    infrastructure_down(exc),
                    type(exc).__name__,
                    settings.REKEY_SWEEP_INTERVAL,
                )
                close_old_connections()
            deadline = time.monotonic() + settings.REKEY_SWEEP_INTERVAL
            while running["on"] and time.monotonic() < deadline:
                if scheduler is not None:
                    try:
                        scheduler.tick()
                    except Exception as exc:
                        if not infrastructure_down(exc):
                            raise
                        logger.error("sweep: Redis is unavailable (%s)", type(exc).__name__)
                time.sleep(0.5)
