"""``manage.py rekey_worker``: one worker for whichever task engine is configured (bin/worker)."""

from __future__ import annotations

import os
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string

from emails.queue import tasks_in_database, worker_run
from emails.tasks import EMAIL_QUEUE, REQUEST_QUEUE


class Command(BaseCommand):
    help = (
        "Run one task worker: deliveries first, then forgot-password requests. It survives "
        "outages of the database and Redis, and retries the tasks they interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default=f"{EMAIL_QUEUE},{REQUEST_QUEUE}",
            help="queues to serve, in order of precedence (default: %(default)s)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="run what is ready, then exit (tests, cron)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queues = [q for q in options["queues"].split(",") if q]
        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"
        if tasks_in_database():
            # Precedence by task priority (deliveries are enqueued ahead of requests).
            worker_run(queue_names=queues, batch=options["batch"], worker_id=worker_id)
            return
        from emails.engine import rq_worker_run

        rq_worker_run(queue_names=queues, batch=options["batch"], worker_id=worker_id)
