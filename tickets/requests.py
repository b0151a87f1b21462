"""The forgot-password request: accepted by an anonymous door, checked by a worker.

``reset_request_accept`` answers the page and ``/dbconnections/change_password`` after one write;
the worker runs ``reset_request_run`` → ``reset_request_check`` (lookup, silent limits, log row)
→ ``tickets.services.reset_email_send`` (ticket and outbox row). A request accepted is never
lost: with the database as the queue its task row is its durable copy; with a broker it is a
``ResetRequest`` row, which the sweep (``reset_requests_sweep``) wakes when its job was lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from accounts import ratelimit
from accounts.events import client_ip, log_event, log_event_counted, user_agent
from accounts.models import Application, Connection, LogType, User, email_key
from accounts.selectors import user_by_email
from emails.queue import task_failed_log, tasks_in_database
from emails.services import lease
from tickets.models import ResetRequest, TicketDoor
from tickets.services import request_key_done, request_language, reset_email_send

logger = logging.getLogger(__name__)

LIMITED_REASON = "Too many password reset requests for this email"
REQUEST_TASK = "tickets.tasks.reset_request_check_task"


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
    pending = ResetRequest.objects.create(**payload)
    transaction.on_commit(partial(_request_wake, pending.payload()))


def _request_wake(payload: dict[str, Any]) -> None:
    """Hand a broker request's row to the broker; if the broker is down, the sweep will."""
    from tickets.tasks import reset_request_check_task

    try:
        reset_request_check_task.enqueue(**payload)
    except Exception as exc:
        logger.warning(
            "reset request %s: the task queue is unavailable (%s); the sweep will enqueue it",
            payload["request_id"],
            type(exc).__name__,
        )


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

    ``request_id`` names a broker request's row: the run is counted on it first, then the row is
    deleted in the transaction that does the work, so a run again (a wake after a lost job, RQ's
    retry of an abandoned one) finds nothing to do, or waits for the row and then finds nothing.
    Without one (the database queue), the ticket keyed by ``request_key`` tells a run again.
    """
    if request_id:
        started = ResetRequest.objects.filter(pk=request_id).update(
            runs=F("runs") + 1, woken_at=timezone.now()
        )
        if not started:
            return {"sent": True, "repeat": True}
    elif request_key_done(request_key=request_key):
        return {"sent": True, "repeat": True}
    try:
        with transaction.atomic():
            if request_id and not ResetRequest.objects.filter(pk=request_id).delete()[0]:
                return {"sent": True, "repeat": True}
            connection = Connection.objects.filter(pk=connection_id).first()
            if connection is None:  # deleted between the request and now: nothing to do
                return {"sent": False}
            application = Application.objects.filter(pk=client_id).first() if client_id else None
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
    user = user_by_email(connection=connection, email=email)
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
    with transaction.atomic():
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
            reset_email_send(**job, user=user, request_key=request_key, requested_at=requested_at)
        else:
            reset_email_send_task.enqueue(**job)
    return ResetRequestOutcome(sent=sent, reason=refusal)


def reset_requests_sweep() -> dict[str, int]:
    """Wake the broker requests whose job was lost; fail those that keep losing their worker.

    A row that a worker started (``runs`` > 0) and did not finish within its lease lost its
    worker: it is woken at once. A row never started is woken only once the broker's request
    queue is empty, that is once every job ahead of it has been taken: under a backlog its job
    is most likely still queued, and waking every waiting row would double the backlog.
    A request that lost ``REKEY_TASK_MAX_RUNS`` workers is deleted with ``fn`` logged.
    """
    counts = {"woken": 0, "failed": 0}
    if tasks_in_database():
        return counts
    from emails.engine import queue_length
    from emails.tasks import REQUEST_QUEUE

    now = timezone.now()
    stale = ResetRequest.objects.filter(woken_at__lt=now - lease())
    if queue_length(REQUEST_QUEUE):
        stale = stale.filter(runs__gt=0)
    with transaction.atomic():
        rows = list(stale.select_for_update(skip_locked=True)[:500])
        failed = [row for row in rows if row.runs >= settings.REKEY_TASK_MAX_RUNS]
        woken = [row for row in rows if row.runs < settings.REKEY_TASK_MAX_RUNS]
        if failed:
            ResetRequest.objects.filter(pk__in=[row.pk for row in failed]).delete()
            for row in failed:
                task_failed_log(
                    "tickets.tasks.reset_request_check_task", str(row.pk), "LeaseExpired"
                )
        ResetRequest.objects.filter(pk__in=[row.pk for row in woken]).update(woken_at=now)
        for row in woken:
            transaction.on_commit(partial(_request_wake, row.payload()))
    counts.update(woken=len(woken), failed=len(failed))
    if any(counts.values()):
        logger.warning(
            "request sweep: %(woken)s requests whose job was lost queued again, %(failed)s failed",
            counts,
        )
    return counts


def task_enqueued_at(value: datetime | None) -> datetime | None:
    """A task's enqueue time as an aware datetime (RQ gives naive UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
