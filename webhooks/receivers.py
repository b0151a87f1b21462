"""Password events for webhooks, read from the log rows that every service writes exactly once.

Every door already logs its change (``scp``, ``fcp``, ``scpr``...) through one service, so the
log row is where an event is known once, whatever the door; the deliveries are written in the
log row's own transaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import STAFF_CONNECTION_NAME, LogEvent, LogType
from webhooks.models import WebhookEvent
from webhooks.services import events_emit


def events_of(log: LogEvent) -> list[WebhookEvent]:
    """The webhook events a log row stands for: a staff block is also a sign-out, since it
    ended the user's sessions (its one row counts them)."""
    details = log.details or {}
    match log.type:
        case LogType.SUCCESS_CHANGE_PASSWORD:
            return [WebhookEvent.PASSWORD_CHANGED]
        case LogType.SUCCESS_CHANGE_PASSWORD_REQUEST:
            return [WebhookEvent.PASSWORD_RESET_REQUESTED]
        case LogType.FAILED_CHANGE_PASSWORD:
            return [WebhookEvent.PASSWORD_CHANGE_FAILED]
        case LogType.LIMIT_WC:
            return [WebhookEvent.USER_BLOCKED]
        case LogType.SUCCESS_API_OPERATION if details.get("blocked") is True:
            return [WebhookEvent.USER_BLOCKED, WebhookEvent.USER_SIGNED_OUT]
        case LogType.SUCCESS_LOGOUT | LogType.FORCED_SIGN_IN:
            return [WebhookEvent.USER_SIGNED_OUT]
    return []


def event_data(log: LogEvent) -> dict[str, Any]:
    """What a receiver learns: who, where, through which door; never a secret."""
    details = log.details or {}
    data: dict[str, Any] = {
        "log_id": log.log_id,
        "date": log.date.isoformat(),
        "description": log.description,
        "user_id": log.user_id_text,
        "email": log.user_name,
        "connection": log.connection,
        "connection_id": log.connection_id,
        "client_id": log.client_id,
    }
    if "door" in details:
        data["door"] = details["door"]
    if log.type == LogType.LIMIT_WC:
        data["reason"] = "brute_force"
    elif log.type == LogType.SUCCESS_API_OPERATION:
        data["reason"] = "staff"
    return data


@receiver(post_save, sender=LogEvent, dispatch_uid="webhooks_from_log_events")
def log_event_written(
    sender: type[LogEvent], instance: LogEvent, created: bool, **kwargs: Any
) -> None:
    if not created or kwargs.get("raw") or instance.connection == STAFF_CONNECTION_NAME:
        return  # staff are out of reach of tenant doors, webhooks included
    for event in events_of(instance):
        events_emit(event=event, data=event_data(instance))
