"""The one password service.

Every door (reset page, API, dashboard, account page, commands, imports) changes a password
through ``password_set`` or ``password_hash_import``; nothing else writes ``user.password``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.audit import Audit, Door
from accounts.events import log_event
from accounts.models import (
    LogType,
    PasswordHistory,
    User,
)
from accounts.policy import RuleFailure, policy_check
from accounts.services.refresh_tokens import user_tokens_end
from accounts.services.sessions import sessions_delete

logger = logging.getLogger(__name__)


# Sent inside the transaction of every password change; receivers: tickets (revoke outstanding).
password_changed = Signal()  # kwargs: user, door


class PasswordChangeError(Exception):
    """A password change refused; ``code`` is stable, ``message`` is for people."""

    code = "password_change_refused"

    def __init__(self, message: str, failures: Iterable[RuleFailure] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.failures = list(failures)


class PasswordPolicyError(PasswordChangeError):
    code = "password_strength_error"


class PasswordNotSupported(PasswordChangeError):
    """The user's connection holds no passwords (social or enterprise)."""

    code = "password_not_supported"


class DirectSetDisabled(PasswordChangeError):
    """REKEY_ALLOW_DIRECT_PASSWORD_SET is off: only the user may set a password, by reset."""

    code = "direct_password_set_disabled"


def password_change_allowed(user: User) -> str | None:
    """Why the user's password cannot be changed, or None when it can."""
    if not user.connection.is_database:
        return (
            f"{user.email} signs in with the {user.connection.name} connection "
            f"({user.connection.get_strategy_display()}); its password is not kept here."
        )
    return None


@dataclass(frozen=True)
class CheckedPassword:
    """A password the policy accepted, for one user and door, already hashed."""

    user_pk: int
    door: Door
    encoded: str = field(repr=False)


def password_check(
    *,
    user: User,
    password: str,
    audit: Audit,
    details: dict[str, Any] | None = None,
) -> CheckedPassword:
    """Refuse what the connection's policy refuses (logging ``fcp`` once); hash what it accepts.

    Call it outside any transaction that a refusal would roll back, so that the ``fcp`` row
    stays; the hashing happens here too, so the write's transaction (and its row lock) is short.
    """

    door = audit.door

    def refuse(error: PasswordChangeError) -> NoReturn:
        log_event(
            type=LogType.FAILED_CHANGE_PASSWORD,
            description=error.message,
            user=user,
            details={
                "door": str(door),
                **(details or {}),
                "rules": [f.code for f in error.failures],
            },
            **audit.log_fields(),
        )
        raise error

    if door not in {Door.RESET, Door.ACCOUNT} and not settings.REKEY_ALLOW_DIRECT_PASSWORD_SET:
        refuse(
            DirectSetDisabled(
                "Setting a password directly is turned off; send a password reset email instead."
            )
        )
    if why := password_change_allowed(user):
        refuse(PasswordNotSupported(why))
    failures = policy_check(user.connection, password, user)
    if failures:
        refuse(PasswordPolicyError("PasswordStrengthError: Password is too weak", failures))
    return CheckedPassword(user_pk=user.pk, door=door, encoded=make_password(password))


def password_set(
    *,
    user: User,
    password: str,
    audit: Audit,
    details: dict[str, Any] | None = None,
    keep_session_key: str | None = None,
) -> None:
    """Set a user's password through the connection's policy, with log, session end and hook.

    ``keep_session_key``: the session the user changed their own password in survives (the
    caller then refreshes its auth hash); every other session ends.
    """
    checked = password_check(user=user, password=password, audit=audit, details=details)
    password_set_checked(
        user=user, checked=checked, audit=audit, details=details, keep_session_key=keep_session_key
    )


def password_set_checked(
    *,
    user: User,
    checked: CheckedPassword,
    audit: Audit,
    details: dict[str, Any] | None = None,
    keep_session_key: str | None = None,
) -> None:
    """Write a password that ``password_check`` accepted: history, stamp, sessions, log, hook.

    It runs in the caller's transaction when there is one: a reset claims its ticket in the same.
    """
    if checked.user_pk != user.pk or checked.door != audit.door:
        raise ValueError("that password was checked for another user or door")
    _password_write(
        user=user,
        encoded=checked.encoded,
        audit=audit,
        details={"door": str(audit.door), **(details or {})},
        keep_session_key=keep_session_key,
    )


def password_hash_import(*, user: User, encoded: str, audit: Audit) -> None:
    """Give an existing user an imported hash, as any password change: history, log, sessions.

    No policy can be checked on a hash; the import checks its cost (``accounts.imports``).
    """
    _password_write(user=user, encoded=encoded, audit=audit, details={"door": str(audit.door)})


def _password_write(
    *,
    user: User,
    encoded: str,
    audit: Audit,
    details: dict[str, Any],
    keep_session_key: str | None = None,
) -> None:
    """The write of every password change: history, stamp, sessions, log, signal, hooks."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.has_usable_password():
            PasswordHistory.objects.create(user=locked, password=locked.password)
            _history_trim(locked)
        now = timezone.now()
        user.password = encoded
        user.last_password_reset = now
        user.security_stamp = secrets.token_hex(16)
        user.save(update_fields=["password", "last_password_reset", "security_stamp", "updated_at"])
        sessions_delete(user, keep=keep_session_key)
        # Applications' refresh tokens and unused codes end too (access tokens die with the stamp).
        user_tokens_end(user)
        log_event(
            type=LogType.SUCCESS_CHANGE_PASSWORD,
            description="Changed password",
            user=user,
            details=details,
            **audit.log_fields(),
        )
        door = audit.door
        password_changed.send(sender=User, user=user, door=door)
        transaction.on_commit(lambda: _post_change_hooks_run(user=user, door=door))


def _history_trim(user: User) -> None:
    keep = settings.REKEY_PASSWORD_HISTORY_MAX
    stale = list(
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[keep:]
    )
    if stale:
        PasswordHistory.objects.filter(id__in=stale).delete()


def _post_change_hooks_run(*, user: User, door: Door) -> None:
    for path in settings.REKEY_POST_CHANGE_HOOKS:
        try:
            hook: Callable[..., Any] = import_string(path)
            hook(user=user, door=door)
        except Exception as exc:
            logger.exception("post-change hook %s failed for user pk=%s", path, user.pk)
            log_event(
                type=LogType.FAILED_POST_CHANGE_PASSWORD_HOOK,
                description=f"Post change password hook failed: {type(exc).__name__}",
                user=user,
                details={"hook": path},
            )
