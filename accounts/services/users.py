"""Writes on users: create, update (as Auth0's PATCH), block."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.dispatch import Signal

from accounts.audit import Audit
from accounts.events import log_event
from accounts.models import (
    Connection,
    LogType,
    User,
    database_user_id,
    email_key,
    new_user_id,
)
from accounts.policy import policy_check
from accounts.services.passwords import (
    PasswordNotSupported,
    PasswordPolicyError,
    password_set,
)
from accounts.services.sessions import sessions_end

# Sent inside the transaction that changes a user's email or blocks them: whatever was handed
# to the old address or the unblocked user (reset links) must die. Receivers: tickets.
user_access_revoked = Signal()  # kwargs: user, why
# A new user asked to be sent the verify_email email (tickets owns the link and the email).
verification_email_requested = Signal()  # kwargs: user, application, audit


def user_block_set(*, user: User, blocked: bool, audit: Audit) -> None:
    """Block or unblock a user; blocking also ends their sessions and tokens. Logs one row."""
    with transaction.atomic():
        ended = _user_block_write(user=user, blocked=blocked)
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Block user" if blocked else "Unblock user",
            user=user,
            details={"blocked": blocked, **ended},
            **audit.log_fields(),
        )


def _user_block_write(*, user: User, blocked: bool) -> dict[str, int]:
    """The block itself, unlogged; returns what blocking ended (sessions, refresh tokens)."""
    user.blocked = blocked
    user.save(update_fields=["blocked", "updated_at"])
    if not blocked:
        return {}
    # Revoked for good: unblocking later does not bring the old links back.
    user_access_revoked.send(sender=User, user=user, why="blocked")
    sessions, tokens = sessions_end(user)
    return {"sessions": sessions, "refresh_tokens": tokens}


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
    audit: Audit,
    blocked: bool = False,
    user_metadata: dict[str, Any] | None = None,
    app_metadata: dict[str, Any] | None = None,
    user_id: str | None = None,
    verify_email: bool = False,
    **profile: Any,
) -> User:
    """Create a user of a database connection; its password policy applies. Logs ``sapi``.

    ``verify_email``: the verification email goes out with the user's creation (same
    transaction: no user without their email, no email for a user that was not made).
    """

    if not connection.is_database:
        raise PasswordNotSupported(
            f"Users of the {connection.name} connection ({connection.get_strategy_display()}) "
            "sign in elsewhere and cannot be created here."
        )
    unknown = set(profile) - set(USER_PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    # Auth0's defaults for a database user: the email as name, its local part as nickname.
    profile.setdefault("name", email)
    profile.setdefault("nickname", email.split("@", 1)[0])
    user = User(
        connection=connection,
        email=email,
        # A migrating customer's id is kept: their applications store it as a foreign key.
        user_id=database_user_id(user_id) if user_id else new_user_id(),
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
    if user_id and User.objects.filter(user_id=user.user_id).exists():
        raise UserAlreadyExists("The user already exists.")
    user.password = make_password(password)
    try:
        with transaction.atomic():
            user.save()
            log_event(
                type=LogType.SUCCESS_API_OPERATION,
                description="Create a User",
                user=user,
                **audit.log_fields(),
            )
            if verify_email:
                verification_email_requested.send(
                    sender=User, user=user, application=audit.application, audit=audit
                )
    except IntegrityError as exc:  # a concurrent create of the same email won the race
        raise UserAlreadyExists("The user already exists.") from exc
    return user


def user_update(
    *, user: User, changes: dict[str, Any], audit: Audit, verify_email: bool = False
) -> User:
    """Update a user as Auth0's PATCH does; a ``password`` goes through ``password_set``.

    The password is set first: when the policy refuses it, nothing else changes. Logs one
    ``sapi`` naming the fields changed (never their values). ``verify_email`` with a new email
    sends the verify_email email to it, as Auth0 does (through tickets' receiver).
    """

    changes = dict(changes)
    password = changes.pop("password", None)
    blocked = changes.pop("blocked", None)
    if password is not None:
        password_set(user=user, password=password, audit=audit)
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
            if "email" in fields:
                # A link mailed to the old address must not outlive the change.
                user_access_revoked.send(sender=User, user=user, why="email_changed")
                if verify_email:
                    verification_email_requested.send(
                        sender=User, user=user, application=audit.application, audit=audit
                    )
            # A change of block state is named on the row with what blocking ended (webhooks
            # read user.blocked and user.signed_out from it).
            block: dict[str, Any] = {}
            if blocked is not None and blocked != user.blocked:
                block = {"blocked": blocked, **_user_block_write(user=user, blocked=blocked)}
            log_event(
                type=LogType.SUCCESS_API_OPERATION,
                description="Update a User",
                user=user,
                **audit.log_fields(),
                details={
                    **block,
                    "fields": sorted(
                        {
                            *fields,
                            *(["password"] if password is not None else []),
                            *(["blocked"] if blocked is not None else []),
                        }
                    ),
                },
            )
    except IntegrityError as exc:
        raise UserAlreadyExists("The specified new email already exists") from exc
    return user
