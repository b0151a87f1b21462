"""Sessions: recording logins, and ending a user's sessions and tokens."""

from __future__ import annotations

import secrets

from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import Audit
from accounts.events import log_event
from accounts.models import (
    Application,
    LogType,
    User,
    UserSession,
)
from accounts.services.refresh_tokens import user_tokens_end


def sessions_delete(user: User, keep: str | None = None) -> int:
    sessions = UserSession.objects.filter(user=user)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    keys = list(sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    sessions.delete()
    return len(keys)


def sessions_end(user: User) -> tuple[int, int]:
    """End every session and token of the user, unlogged (the caller logs its own action);
    returns how many sessions and refresh tokens ended."""
    user.security_stamp = secrets.token_hex(16)
    user.save(update_fields=["security_stamp", "updated_at"])
    return sessions_delete(user), user_tokens_end(user)


def sessions_expire(*, user: User, audit: Audit) -> int:
    """End every session and token of the user (force sign-in); returns how many sessions."""
    with transaction.atomic():
        count, tokens = sessions_end(user)
        log_event(
            type=LogType.FORCED_SIGN_IN,
            description="All sessions and tokens revoked",
            user=user,
            details={"sessions": count, "refresh_tokens": tokens},
            **audit.log_fields(),
        )
    return count


def session_delete(*, session: UserSession, audit: Audit) -> None:
    """End one login session of a user (Auth0's DELETE /api/v2/sessions/{id}). Logs ``sapi``."""
    with transaction.atomic():
        Session.objects.filter(session_key=session.session_key).delete()
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Delete a session",
            user=session.user,
            details={"session_id": session.sid},
            **audit.log_fields(),
        )
        session.delete()


def session_record(*, user: User, request: HttpRequest) -> None:
    """Remember a new login session so it can be listed and ended."""
    key = request.session.session_key
    if not key:
        return
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip": request.META.get("REMOTE_ADDR") or None,
            "user_agent": str(request.META.get("HTTP_USER_AGENT", ""))[:512],
        },
    )


def login_record(*, user: User, request: HttpRequest, application: Application | None) -> None:
    """Count a successful login and log ``s``."""
    User.objects.filter(pk=user.pk).update(
        logins_count=user.logins_count + 1,
        last_login=timezone.now(),
        last_ip=request.META.get("REMOTE_ADDR") or None,
    )
    log_event(
        type=LogType.SUCCESS_LOGIN,
        description="Successful login",
        user=user,
        application=application,
        request=request,
    )


def sessions_end_others(*, user: User, keep_session_key: str, request: HttpRequest) -> int:
    """The user signs out their other browser sessions; logged ``ssr`` with them as the actor."""
    with transaction.atomic():
        count = sessions_delete(user, keep=keep_session_key)
        log_event(
            type=LogType.FORCED_SIGN_IN,
            description="Other sessions signed out by the user",
            user=user,
            actor=user,
            request=request,
            details={"sessions": count},
        )
    return count
