"""Writes on users, connections and applications.

``password_set`` is THE password service: the reset page, the Management API, the dashboard and
the commands all change passwords through it, and nothing else calls ``user.set_password``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.events import log_event
from accounts.models import (
    Application,
    ClientGrant,
    Connection,
    LogType,
    PasswordHistory,
    User,
    UserSession,
)
from accounts.policy import RuleFailure, policy_check

logger = logging.getLogger(__name__)

# Sent inside the transaction of every password change; receivers: tickets (revoke outstanding).
password_changed = Signal()  # kwargs: user, door
# Sent when every session and token of a user ends (force sign-in, password change).
sessions_ended = Signal()  # kwargs: user


class Door(StrEnum):
    """Where a password change came from."""

    RESET = "reset"
    API = "api"
    DASHBOARD = "dashboard"
    COMMAND = "command"
    IMPORT = "import"


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


def password_set(
    *,
    user: User,
    password: str,
    door: Door,
    actor: User | None = None,
    application: Application | None = None,
    request: HttpRequest | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Set a user's password through the connection's policy, with log, session end and hook."""
    log_details = {"door": str(door), **(details or {})}

    def refuse(error: PasswordChangeError) -> None:
        log_event(
            type=LogType.FAILED_CHANGE_PASSWORD,
            description=error.message,
            user=user,
            actor=actor,
            application=application,
            request=request,
            details={**log_details, "rules": [f.code for f in error.failures]},
            reason=reason,
        )
        raise error

    if door not in {Door.RESET} and not settings.REKEY_ALLOW_DIRECT_PASSWORD_SET:
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

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.has_usable_password():
            PasswordHistory.objects.create(user=locked, password=locked.password)
            _history_trim(locked)
        now = timezone.now()
        user.password = make_password(password)
        user.last_password_reset = now
        user.security_stamp = secrets.token_hex(16)
        user.save(update_fields=["password", "last_password_reset", "security_stamp", "updated_at"])
        _sessions_delete(user)
        log_event(
            type=LogType.SUCCESS_CHANGE_PASSWORD,
            description="Changed password",
            user=user,
            actor=actor,
            application=application,
            request=request,
            details=log_details,
            reason=reason,
        )
        password_changed.send(sender=User, user=user, door=door)
        sessions_ended.send(sender=User, user=user)
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


def _sessions_delete(user: User) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def sessions_expire(
    *,
    user: User,
    actor: User | None = None,
    request: HttpRequest | None = None,
    application: Application | None = None,
    reason: str = "",
) -> int:
    """End every session and token of the user (force sign-in); returns how many sessions."""
    with transaction.atomic():
        user.security_stamp = secrets.token_hex(16)
        user.save(update_fields=["security_stamp", "updated_at"])
        count = _sessions_delete(user)
        log_event(
            type=LogType.FORCED_SIGN_IN,
            description="All sessions and tokens revoked",
            user=user,
            actor=actor,
            application=application,
            request=request,
            details={"sessions": count},
            reason=reason,
        )
        sessions_ended.send(sender=User, user=user)
    return count


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


def user_block_set(
    *,
    user: User,
    blocked: bool,
    actor: User | None = None,
    request: HttpRequest | None = None,
    application: Application | None = None,
    reason: str = "",
) -> None:
    """Block or unblock a user; blocking also ends their sessions."""
    with transaction.atomic():
        user.blocked = blocked
        user.save(update_fields=["blocked", "updated_at"])
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Block user" if blocked else "Unblock user",
            user=user,
            actor=actor,
            application=application,
            request=request,
            details={"blocked": blocked},
            reason=reason,
        )
    if blocked:
        sessions_expire(user=user, actor=actor, request=request, application=application)


def client_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def application_secret_rotate(*, application: Application) -> str:
    """Give the application a new client secret; returns it (shown once, stored hashed)."""
    secret = secrets.token_urlsafe(48)
    application.client_secret_hash = client_secret_hash(secret)
    application.save(update_fields=["client_secret_hash", "updated_at"])
    return secret


def application_secret_check(*, application: Application, secret: str) -> bool:
    """Constant-time comparison of a presented client secret with the stored hash."""
    if not application.client_secret_hash:
        return False
    return secrets.compare_digest(client_secret_hash(secret), application.client_secret_hash)


def connection_create(*, name: str, strategy: str, **policy: Any) -> Connection:
    """Create a connection."""
    return Connection.objects.create(name=name, strategy=strategy, **policy)


# --- Appended by the dashboard: staff edits of connections and applications ----------------


def connection_policy_update(
    *,
    connection: Connection,
    actor: User | None,
    request: HttpRequest | None = None,
    password_policy: str,
    min_length: int | None,
    history_enable: bool,
    history_size: int,
    no_personal_info: bool,
    dictionary_enable: bool,
    dictionary: list[str],
) -> Connection:
    """Replace a connection's password policy; logged as ``sapi`` with the acting staff user."""
    with transaction.atomic():
        connection.password_policy = password_policy
        connection.min_length = min_length
        connection.history_enable = history_enable
        connection.history_size = min(history_size, settings.REKEY_PASSWORD_HISTORY_MAX)
        connection.no_personal_info = no_personal_info
        connection.dictionary_enable = dictionary_enable
        connection.dictionary = list(dictionary)[:200]
        connection.save()
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update connection password policy",
            actor=actor,
            connection_name=connection.name,
            connection_id=connection.id,
            request=request,
            details={
                "password_policy": password_policy,
                "min_length": min_length,
                "history": {"enable": history_enable, "size": connection.history_size},
                "no_personal_info": no_personal_info,
                "dictionary": {"enable": dictionary_enable, "words": len(connection.dictionary)},
            },
        )
    return connection


def application_update(
    *,
    application: Application,
    actor: User | None,
    request: HttpRequest | None = None,
    name: str,
    allowed_origins: list[str],
    default_login_route: str,
    enabled_connections: Iterable[Connection],
    language: str,
) -> Application:
    """Change an application's settings; logged as ``sapi`` with the acting staff user."""
    with transaction.atomic():
        application.name = name
        application.allowed_origins = list(allowed_origins)
        application.default_login_route = default_login_route
        application.language = language
        application.save()
        connections = list(enabled_connections)
        application.enabled_connections.set(connections)
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update application",
            actor=actor,
            application=application,
            request=request,
            details={
                "allowed_origins": application.allowed_origins,
                "default_login_route": default_login_route,
                "enabled_connections": sorted(c.name for c in connections),
                "language": language,
            },
        )
    return application


def application_secret_rotate_logged(
    *, application: Application, actor: User | None, request: HttpRequest | None = None
) -> str:
    """Rotate the client secret (see ``application_secret_rotate``) and log who did it."""
    with transaction.atomic():
        secret = application_secret_rotate(application=application)
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Rotate client secret",
            actor=actor,
            application=application,
            request=request,
        )
    return secret


def grant_set(
    *,
    application: Application,
    audience: str,
    scopes: list[str] | None,
    actor: User | None,
    request: HttpRequest | None = None,
) -> ClientGrant | None:
    """Grant the application these scopes on the audience, or remove its grant when None."""
    with transaction.atomic():
        if scopes is None:
            ClientGrant.objects.filter(application=application, audience=audience).delete()
            grant = None
        else:
            grant, _ = ClientGrant.objects.update_or_create(
                application=application, audience=audience, defaults={"scopes": sorted(scopes)}
            )
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update client grant" if grant else "Delete client grant",
            actor=actor,
            application=application,
            request=request,
            details={"audience": audience, "scopes": sorted(scopes or [])},
        )
    return grant


# --- Appended by the Management API: create and update users -------------------------------


class UserAlreadyExists(Exception):
    """Another user of the connection already has that email."""


# Profile fields that the Management API (and any other caller) may set as they are.
USER_PROFILE_FIELDS = (
    "email_verified",
    "username",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "picture",
)


def _metadata_merged(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    # Auth0 merges metadata at the top level; a key set to null is removed.
    merged = dict(current or {})
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def user_create(
    *,
    connection: Connection,
    email: str,
    password: str,
    application: Application | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
    blocked: bool = False,
    user_metadata: dict[str, Any] | None = None,
    app_metadata: dict[str, Any] | None = None,
    **profile: Any,
) -> User:
    """Create a user of a database connection; its password policy applies. Logs ``sapi``."""
    from django.db import IntegrityError

    from accounts.models import email_key

    if not connection.is_database:
        raise PasswordNotSupported(
            f"Users of the {connection.name} connection ({connection.get_strategy_display()}) "
            "sign in elsewhere and cannot be created here."
        )
    unknown = set(profile) - set(USER_PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    user = User(
        connection=connection,
        email=email,
        blocked=blocked,
        user_metadata=_metadata_merged({}, user_metadata or {}),
        app_metadata=_metadata_merged({}, app_metadata or {}),
        **profile,
    )
    failures = policy_check(connection, password, user)
    if failures:
        raise PasswordPolicyError("PasswordStrengthError: Password is too weak", failures)
    if User.objects.filter(connection=connection, email_key=email_key(email)).exists():
        raise UserAlreadyExists("The user already exists.")
    user.password = make_password(password)
    try:
        with transaction.atomic():
            user.save()
            log_event(
                type=LogType.SUCCESS_API_OPERATION,
                description="Create a User",
                user=user,
                actor=actor,
                application=application,
                request=request,
            )
    except IntegrityError as exc:  # a concurrent create of the same email won the race
        raise UserAlreadyExists("The user already exists.") from exc
    return user


def user_update(
    *,
    user: User,
    changes: dict[str, Any],
    application: Application | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Update a user as Auth0's PATCH does; a ``password`` goes through ``password_set``.

    The password is set first: when the policy refuses it, nothing else changes. Logs one
    ``sapi`` naming the fields changed (never their values).
    """
    from django.db import IntegrityError

    from accounts.models import email_key

    changes = dict(changes)
    password = changes.pop("password", None)
    blocked = changes.pop("blocked", None)
    if password is not None:
        password_set(
            user=user,
            password=password,
            door=Door.API,
            actor=actor,
            application=application,
            request=request,
        )
    fields: list[str] = []
    new_email = changes.pop("email", None)
    if new_email is not None and new_email != user.email:
        taken = (
            User.objects.filter(connection=user.connection, email_key=email_key(new_email))
            .exclude(pk=user.pk)
            .exists()
        )
        if taken:
            raise UserAlreadyExists("The specified new email already exists")
        user.email = new_email
        fields.append("email")
        if "email_verified" not in changes:
            user.email_verified = False
            fields.append("email_verified")
    for name in USER_PROFILE_FIELDS:
        if name in changes:
            setattr(user, name, changes[name] if changes[name] is not None else "")
            fields.append(name)
    for name in ("user_metadata", "app_metadata"):
        if changes.get(name) is not None:
            setattr(user, name, _metadata_merged(getattr(user, name), changes[name]))
            fields.append(name)
    try:
        with transaction.atomic():
            if fields:
                user.save(update_fields=sorted({*fields, "updated_at"}))
            if blocked is not None and blocked != user.blocked:
                user_block_set(
                    user=user,
                    blocked=blocked,
                    actor=actor,
                    request=request,
                    application=application,
                )
            log_event(
                type=LogType.SUCCESS_API_OPERATION,
                description="Update a User",
                user=user,
                actor=actor,
                application=application,
                request=request,
                details={
                    "fields": sorted(
                        {
                            *fields,
                            *(["password"] if password is not None else []),
                            *(["blocked"] if blocked is not None else []),
                        }
                    )
                },
            )
    except IntegrityError as exc:
        raise UserAlreadyExists("The specified new email already exists") from exc
    return user
