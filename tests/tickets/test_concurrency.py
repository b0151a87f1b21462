"""Single use under contention: of many parallel redeems of one ticket, exactly one wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import connection as db_connection

from accounts.audit import Audit, Door
from tests.factories import ConnectionFactory, UserFactory
from tickets.models import PasswordChangeTicket, TicketStatus
from tickets.services import TicketInvalid, ticket_issue, ticket_redeem

PARALLEL = 20


def redeem_in_parallel(token: str) -> list[str]:
    barrier = threading.Barrier(PARALLEL)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            ticket_redeem(token=token, password=f"Parallel-Secret-{n:02d}")
            result = "won"
        except TicketInvalid as error:
            result = str(error.problem)
        except Exception as error:  # recorded, so that a failure shows it
            result = f"error: {type(error).__name__}: {error}"
        finally:
            db_connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_parallel_redeems_on_postgresql_have_exactly_one_winner(postgres):
    user = UserFactory(connection=ConnectionFactory(password_policy="low"))
    ticket, token = ticket_issue(user=user, audit=Audit(door=Door.RESET))

    outcomes = redeem_in_parallel(token)

    assert len(outcomes) == PARALLEL
    assert outcomes.count("won") == 1, outcomes
    assert set(outcomes) == {"won", "used"}, outcomes
    ticket = PasswordChangeTicket.objects.get(pk=ticket.pk)
    assert ticket.status == TicketStatus.USED
    user.refresh_from_db()
    assert sum(user.check_password(f"Parallel-Secret-{n:02d}") for n in range(PARALLEL)) == 1


def test_twenty_parallel_redeems_on_a_sqlite_file_have_exactly_one_winner(tmp_path):
    # The embedded set-up's own database: a file in WAL mode with IMMEDIATE transactions (the
    # in-memory test database shares one cache and locks whole tables instead).
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        "REKEY_VAR_DIR": str(tmp_path),
        "REKEY_ARGON2_MEMORY_COST": "1024",
        "REKEY_ARGON2_TIME_COST": "1",
        "REDIS_URL": "",
    }
    env.pop("REKEY_TEST_DB_NAME", None)
    result = subprocess.run(
        [sys.executable, "-m", "tests.tickets.race_sqlite"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(outcomes) == PARALLEL
    assert outcomes.count("won") == 1, outcomes
    assert set(outcomes) == {"won", "used"}, outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_parallel_issues_on_postgresql_leave_exactly_one_valid_ticket(postgres):
    # Issue 13: revoke-then-create under READ COMMITTED let up to 15 stay valid.
    user = UserFactory(connection=ConnectionFactory())
    barrier = threading.Barrier(PARALLEL)
    errors: list[str] = []

    def issue() -> None:
        try:
            barrier.wait()
            ticket_issue(user=user, audit=Audit(door=Door.RESET))
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            db_connection.close()

    threads = [threading.Thread(target=issue) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    tickets = list(PasswordChangeTicket.objects.filter(user=user))
    assert len(tickets) == PARALLEL
    valid = [t for t in tickets if t.status == TicketStatus.VALID]
    assert len(valid) == 1
    assert valid[0] == max(tickets, key=lambda t: (t.created_at, t.pk))
