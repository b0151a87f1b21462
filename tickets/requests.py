"""The forgot-password request: accepted by an anonymous door, checked by a worker.

``reset_request_accept`` answers the page and ``/dbconnections/change_password`` after one write;
the worker runs ``reset_request_run`` → ``reset_request_check`` (lookup, silent limits, log row)
→ ``tickets.services.reset_email_send`` (ticket and outbox row). A request accepted is never
lost: with the database as the queue its task row is its durable copy; with a broker it is a
``ResetRequest`` row, and the job in Redis only wakes a worker, which claims the waiting rows
as a batch (``reset_requests_run``) and sends their emails itself; the sweep
(``reset_requests_sweep``) wakes a worker for rows left behind by a lost job or worker.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts import ratelimit
from accounts.events import client_ip, log_event, log_event_counted, user_agent
from accounts.memo import batch_memo, memoized
from accounts.models import Application, Connection, LogType, User, email_key
from accounts.selectors import user_by_email
from emails.queue import task_failed_log, tasks_in_database
from emails.services import lease
from tickets.models import ResetRequest, TicketDoor
from tickets.services import (
    application_memoized,
    request_key_done,
    request_language,
    reset_email_send,
)

logger = logging.getLogger(__name__)

LIMITED_REASON = "Too many password reset requests for this email"
REQUEST_TASK = "tickets.tasks.reset_requests_run_task"
# The broker requests' wake-up: one job at a time for however many rows wait.
WAKE_KEY = "reset-requests"
WAKE_TTL_SECONDS = 10
REQUEST_CLAIM_SIZE = 10


@dataclass(frozen=True)
class ResetRequestOutcome:
    """What became of a forgot-password request (never shown to the requester)."""

    sent: bool
    reason: str


def reset_request_accept(
    *,
    email: str,
    connection: Connection,
    application: Application | None = None,
    request: HttpRequest | None = None,
    language: str = "",
) -> None:
    """The anonymous doors' forgot-password request (page, API): one write, nothing more.

    The request neither looks the email up nor writes a log row: every email, a user's or
    nobody's, costs the same one INSERT, so neither the answer, the work nor the time can tell
    whether an account exists. The worker runs ``reset_request_check`` with the caller's
    address and user agent (lookup, silent per-email limit, log, ticket, email).
    """
    from tickets.tasks import reset_request_check_task

    payload: dict[str, Any] = {
        "email": email[:254],
        "connection_id": connection.pk,
        "client_id": application.client_id if application else "",
        "ip": client_ip(request),
        "agent": user_agent(request),
        "language": (
            language or request_language(request) or (application.language if application else "")
        ),
    }
    if tasks_in_database():
        reset_request_check_task.enqueue(**payload)  # the task row is the durable copy
        return
    _request_insert(payload)
    transaction.on_commit(requests_wake)


_INSERT_SQL = (
    "INSERT INTO tickets_resetrequest (id, email, connection_id, client_id, ip, agent, "
    "language, created_at, woken_at, runs) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0)"
)


def _request_insert(payload: dict[str, Any]) -> None:
    """``ResetRequest.objects.create(**payload)`` as one prepared statement: the ORM's model
    instance, field preparation and SQL compilation were a third of the request's CPU."""
    now = db.ops.adapt_datetimefield_value(timezone.now())
    with db.cursor() as cursor:
        cursor.execute(
            _INSERT_SQL,
            [
                ResetRequest._meta.pk.get_db_prep_value(uuid.uuid4(), db),
                payload["email"],
                payload["connection_id"],
                payload["client_id"],
                db.ops.adapt_ipaddressfield_value(payload["ip"]),
                payload["agent"][:512],
                payload["language"][:16],
                now,
                now,
            ],
        )


def requests_wake(*, force: bool = False) -> None:
    """Wake a worker for the waiting broker requests: one job for however many wait.

    ``force``: even if a wake-up seems to wait (the sweep, which found rows left behind: that
    wake-up's job was lost). If the broker is down the rows wait for the sweep, which wakes
    them once it is back.
    """
    from emails.engine import wake_once, wake_taken
    from tickets.tasks import reset_requests_run_task

    try:
        if force:
            wake_taken(reset_requests_run_task, key=WAKE_KEY)
        wake_once(reset_requests_run_task, key=WAKE_KEY, ttl=WAKE_TTL_SECONDS)
    except Exception as exc:
        logger.warning(
            "reset requests: the task queue is unavailable (%s); the sweep will wake them",
            type(exc).__name__,
        )


_CLAIM_SQL = (
    "UPDATE tickets_resetrequest SET runs = runs + 1, woken_at = %s WHERE id IN ("
    "SELECT id FROM tickets_resetrequest WHERE runs < %s AND (runs = 0 OR woken_at < %s) "
    "ORDER BY created_at LIMIT %s) RETURNING id"
)


def requests_claim(*, limit: int) -> list[ResetRequest]:
    """Claim up to ``limit`` broker requests for this worker, oldest first.

    A row is free when no worker has started it, or when the worker that did is past its lease
    (it died); claiming counts a run and starts a new lease, in one statement.
    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never claim the same row nor wait
    for each other; SQLite has one writer at a time.
    """
    sql = _CLAIM_SQL
    if db.features.has_select_for_update_skip_locked:
        sql = sql.replace("LIMIT %s)", "LIMIT %s FOR UPDATE SKIP LOCKED)")
    now = timezone.now()
    adapt = db.ops.adapt_datetimefield_value
    with db.cursor() as cursor:
        cursor.execute(sql, [adapt(now), settings.REKEY_TASK_MAX_RUNS, adapt(now - lease()), limit])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(ResetRequest.objects.filter(pk__in=ids).order_by("created_at"))


def reset_requests_run(*, budget_seconds: float | None = None) -> dict[str, int]:
    """The worker's batch of broker requests: claim, check each, then send their emails.

    Claims ``REQUEST_CLAIM_SIZE`` rows at a time until none is left or the budget (the
    lease less a margin) is spent, then wakes another worker for the rest. Each row is checked
    in its own transaction (``reset_request_run``), and the emails it wrote are sent by this
    worker at once over its SMTP connections: a request costs one job for many, not two jobs
    each. A row whose check raised (an outage) stays claimed, and is claimed again once its
    lease runs out; a worker killed mid-batch leaves its rows to the same rule.
    """
    from emails.delivery import delivery_attempt
    from emails.engine import wake_taken
    from emails.services import deliveries_sent_by_caller
    from tickets.tasks import reset_requests_run_task

    wake_taken(reset_requests_run_task, key=WAKE_KEY)
    budget = budget_seconds if budget_seconds is not None else lease().total_seconds() / 2
    deadline = time.monotonic() + budget
    # Few rows a claim: their emails go out before the next claim, so no request waits for a
    # long batch to be checked; a busy worker's next claim comes at once.
    limit = max(1, min(settings.REKEY_EMAIL_BATCH_SIZE, REQUEST_CLAIM_SIZE))
    counts = {"checked": 0, "sent": 0, "failed": 0}
    while True:
        rows = requests_claim(limit=limit)
        with batch_memo():  # the batch's connection, application, template... read once
            with deliveries_sent_by_caller():
                counts = _requests_check(rows, counts)
            if rows:
                delivery_attempt(delivery_id=None)  # the batch's emails, by this worker, now
        if len(rows) < limit:
            return counts
        if time.monotonic() > deadline:
            requests_wake()  # the rest go to whichever worker is free
            return counts


def _requests_check(rows: list[ResetRequest], counts: dict[str, int]) -> dict[str, int]:
    """Check claimed rows one by one, each in its own transaction; returns the counts."""
    for row in rows:
        try:
            outcome = reset_request_run(
                request_key=str(row.pk),
                request_id=str(row.pk),
                email=row.email,
                connection_id=row.connection_id,
                client_id=row.client_id,
                ip=row.ip,
                agent=row.agent,
                language=row.language,
                requested_at=row.created_at,
            )
        except Exception as exc:
            logger.warning(
                "reset request %s: check failed (%s); tried again after its lease",
                row.pk,
                type(exc).__name__,
            )
            counts["failed"] += 1
            continue
        counts["checked"] += 1
        counts["sent"] += int(bool(outcome.get("sent")) and not outcome.get("repeat"))
    return counts


def reset_request_run(
    *,
    request_key: str,
    request_id: str = "",
    email: str,
    connection_id: str,
    client_id: str = "",
    ip: str | None = None,
    agent: str = "",
    language: str = "",
    requested_at: datetime | None = None,
) -> dict[str, Any]:
    """The worker's half of a self-service request: exactly once, however often it is run.

    ``request_id`` names a broker request's row, claimed (its run counted) by
    ``requests_claim``: it is deleted in the transaction that does the work, so a run again
    (after a lost worker's lease) finds nothing to do, or waits for the row and then finds
    nothing.
    Without one (the database queue), the ticket keyed by ``request_key`` tells a run again.
    """
    if not request_id and request_key_done(request_key=request_key):
        return {"sent": True, "repeat": True}
    try:
        with transaction.atomic():
            if request_id and not ResetRequest.objects.filter(pk=request_id).delete()[0]:
                return {"sent": True, "repeat": True}
            connection = memoized(
                ("connection", connection_id),
                lambda: Connection.objects.filter(pk=connection_id).first(),
            )
            if connection is None:  # deleted between the request and now: nothing to do
                return {"sent": False}
            application = application_memoized(client_id)
            outcome = reset_request_check(
                email=email,
                connection=connection,
                application=application,
                ip=ip,
                agent=agent,
                language=language,
                fulfil_now=True,
                request_key=request_key,
                requested_at=requested_at,
                guarded=bool(request_id),  # its row, deleted above in this transaction
            )
    except IntegrityError:
        return {"sent": True, "repeat": True}  # another run of it committed its ticket first
    return {"sent": outcome.sent}


def _limits_refuse(*, ip: str | None, key: str, request_key: str) -> bool:
    """Whether the silent limits refuse this request: per IP + email (Auth0: burst 10, then one
    a minute), then per email whatever the address (so many addresses cannot flood one inbox).

    A run again of one request (its worker died after counting, an outage) gets the first run's
    answer instead of being counted a second time and refused by its own first count.
    """
    if not settings.RATELIMIT_ENABLE:
        return False
    memo = f"reset-limits:{request_key}" if request_key else ""
    if memo and (seen := cache.get(memo)) is not None:
        return bool(seen)
    refused = (
        not ratelimit.hit("change_password_email", ip=ip, key=key).allowed
        or not ratelimit.hit("change_password_email_any", key=key).allowed
    )
    if memo:
        cache.set(memo, int(refused), timeout=settings.REKEY_TASK_RETENTION_HOURS * 3600)
    return refused


def reset_request_check(
    *,
    email: str,
    connection: Connection,
    application: Application | None = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
    agent: str | None = None,
    door: TicketDoor | str = TicketDoor.SELF_SERVICE,
    actor: User | None = None,
    reason: str = "",
    language: str = "",
    fulfil_now: bool = False,
    request_key: str = "",
    requested_at: datetime | None = None,
    guarded: bool = False,
) -> ResetRequestOutcome:
    """The forgot-password request: the same work whether or not the email is a user's.

    Every path makes one user lookup, writes one log row (``scpr`` or ``fcpr``) and then either
    enqueues one task (staff doors, which show the outcome) or, in the worker
    (``fulfil_now``), issues the ticket and writes the email to the outbox. No password is
    hashed and nothing is sent here. Mail goes only to the address stored for the user, never
    to the one typed. ``ip``/``agent`` stand in for ``request`` in the worker.
    """
    from tickets.tasks import reset_email_send_task

    ip = ip if ip is not None else client_ip(request)
    key = email_key(email)
    # In the worker the user is locked here, for the ticket's revoke-then-create (one round trip
    # less than locking it there); the caller's transaction holds the lock.
    user = user_by_email(connection=connection, email=email, lock=fulfil_now)
    limited = _limits_refuse(ip=ip, key=key, request_key=request_key)
    if user is None:
        refusal = "User does not exist"
    elif not connection.is_database:
        refusal = "Passwords of this connection are not kept here"
    elif user.blocked:
        refusal = "User is blocked"
    elif limited:
        refusal = LIMITED_REASON
    else:
        refusal = ""
    language = (
        language or request_language(request) or (application.language if application else "")
    )
    sent = not refusal
    job: dict[str, Any] = {
        "user_id": user.pk if sent and user else None,
        "client_id": application.client_id if application else "",
        "actor_id": actor.pk if actor else None,
        "door": str(door),
        "language": language,
    }
    # A flood over the per-email limits writes one row a window per email; the rest are counted
    # into the next row (the request's answer is unchanged: this runs in the worker).
    write_log: Any = (
        partial(log_event_counted, scope=f"fcpr_limited:{key}")
        if refusal == LIMITED_REASON
        else log_event
    )
    # No savepoint (two round trips) inside a caller's transaction: nothing here is retried
    # on its own; a failure rolls back the whole of it.
    with transaction.atomic(savepoint=False):
        write_log(
            type=(
                LogType.SUCCESS_CHANGE_PASSWORD_REQUEST
                if sent
                else LogType.FAILED_CHANGE_PASSWORD_REQUEST
            ),
            description=refusal or "Change password request",
            user=user,
            user_name=email[:254],
            actor=actor,
            application=application,
            connection_name=connection.name,
            connection_id=connection.pk,
            request=request,
            ip=ip,
            agent=agent,
            details={"door": str(door)},
            reason=reason,
        )
        if fulfil_now:
            reset_email_send(
                **job,
                user=user,
                request_key=request_key,
                requested_at=requested_at,
                guarded=guarded,
                locked=True,
            )
        else:
            reset_email_send_task.enqueue(**job)
    return ResetRequestOutcome(sent=sent, reason=refusal)


def reset_requests_sweep() -> dict[str, int]:
    """Wake a worker for broker requests left behind; fail those that keep losing their worker.

    Left behind: a row a worker claimed and did not finish within its lease (the worker died),
    or a row never claimed for longer than a wake-up lives (its wake-up job was lost: RQ takes
    a job off two queues with ``BLPOP``, so a worker killed just after that leaves no trace of
    it in Redis). One wake-up serves them all: the worker claims them as a batch. A request
    that lost ``REKEY_TASK_MAX_RUNS`` workers is deleted with ``fn`` logged.
    """
    counts = {"woken": 0, "failed": 0}
    if tasks_in_database():
        return counts
    now = timezone.now()
    expired = now - lease()
    runs_max = settings.REKEY_TASK_MAX_RUNS
    with transaction.atomic():
        failed = list(
            ResetRequest.objects.select_for_update(skip_locked=True)
            .filter(runs__gte=runs_max, woken_at__lt=expired)
            .values_list("pk", flat=True)[:500]
        )
        if failed:
            ResetRequest.objects.filter(pk__in=failed).delete()
            for pk in failed:
                task_failed_log(REQUEST_TASK, str(pk), "LeaseExpired")
    left = ResetRequest.objects.filter(runs__lt=runs_max).filter(
        Q(runs=0, created_at__lt=now - timedelta(seconds=WAKE_TTL_SECONDS))
        | Q(runs__gt=0, woken_at__lt=expired)
    )
    counts.update(woken=left[:500].count(), failed=len(failed))
    if counts["woken"]:
        requests_wake(force=True)
    if any(counts.values()):
        logger.warning(
            "request sweep: %(woken)s requests left behind woken, %(failed)s failed", counts
        )
    return counts


def task_enqueued_at(value: datetime | None) -> datetime | None:
    """A task's enqueue time as an aware datetime (RQ gives naive UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
