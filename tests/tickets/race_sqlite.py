"""Run by test_concurrency in a child process on a SQLite file: 20 threads redeem one ticket."""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from accounts.audit import Audit, Door  # noqa: E402
from tests.factories import ConnectionFactory, UserFactory  # noqa: E402
from tests.tickets.test_concurrency import redeem_in_parallel  # noqa: E402
from tickets.services import ticket_issue  # noqa: E402

if __name__ == "__main__":
    call_command("migrate", verbosity=0)
    user = UserFactory(connection=ConnectionFactory(password_policy="low"))
    _, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))
    print(json.dumps(redeem_in_parallel(token)))
