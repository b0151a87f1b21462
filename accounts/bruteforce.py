"""Brute-force protection as Auth0 has it: a pair (IP, account) is blocked after N failures.

A login door calls, with the caller's IP, the email typed (or the user's) and the connection's
name: ``login_blocked`` before checking the password, ``login_failure_record`` after a failure
and ``login_success_record`` after a success. At REKEY_BRUTE_FORCE["threshold"] consecutive
failures the pair is blocked: the same account still logs in from other addresses, so nobody can
lock a user out by guessing. The user gets an unblock link (the ``account_blocked`` signal; the
emails app sends Auth0's ``blocked_account`` template), and staff and the Management API can
list and remove blocks.

Counts live in the cache (Redis when REDIS_URL is set, so every server shares them), keyed on
the normalised email (``email_key``), hashed. A block of an account that exists is also a row
(``LoginBlock``), which outlives a flushed cache. A pair whose email is nobody's is blocked the
same way (in the cache only), so the answer never tells whether an account exists.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.http import HttpRequest

from accounts import ratelimit
from accounts.audit import Audit, Door
from accounts.events import log_event
from accounts.models import LoginBlock, LogType, User, email_key

# Sent once when a pair of an existing account is blocked. kwargs: user, block, token (the
# unblock link's token, in clear only here: the row holds its hash).
account_blocked = Signal()


def _enabled() -> bool:
    return bool(settings.REKEY_BRUTE_FORCE.get("enabled", True))


def _threshold() -> int:
    return max(1, int(settings.REKEY_BRUTE_FORCE.get("threshold", 10)))


def _counter_key(*, ip: str, identifier: str, connection: str) -> str:
    raw = f"{settings.SECRET_KEY}:bf:{ip}|{connection}|{email_key(identifier)}"
    return "bf:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def token_hash(token: str) -> str:
    """The stored form of an unblock token."""
    return hashlib.sha256(token.encode()).hexdigest()


def login_blocked(*, ip: str | None, identifier: str, connection: str) -> bool:
    """Whether the pair (IP, account) is blocked; a blocked pair's password is not checked."""
    if not _enabled() or not ip:
        return False
    count = cache.get(_counter_key(ip=ip, identifier=identifier, connection=connection))
    if count is not None and int(count) >= _threshold():
        return True
    return LoginBlock.objects.filter(
        identifier=email_key(identifier), connection=connection, ip=ip
    ).exists()


def login_failure_record(
    *,
    ip: str | None,
    identifier: str,
    connection: str,
    user: User | None = None,
    audit: Audit | None = None,
) -> bool:
    """Count a failed login of the pair; at the threshold block it. True when it is blocked.

    ``audit``: the sign-in's (its application, address and agent) for the block's log row.
    """
    if not _enabled() or not ip:
        return False
    key = _counter_key(ip=ip, identifier=identifier, connection=connection)
    cache.add(key, 0, timeout=int(settings.REKEY_BRUTE_FORCE.get("window", 86400)))
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=int(settings.REKEY_BRUTE_FORCE.get("window", 86400)))
        count = 1
    if count < _threshold():
        return False
    if count == _threshold():
        _block(
            ip=ip,
            identifier=identifier,
            connection=connection,
            user=user,
            audit=audit or Audit(door=Door.LOGIN),
        )
    return True


def login_success_record(*, ip: str | None, identifier: str, connection: str) -> None:
    """A successful login: the pair's failures count from zero again."""
    if ip:
        cache.delete(_counter_key(ip=ip, identifier=identifier, connection=connection))


def _block(
    *,
    ip: str,
    identifier: str,
    connection: str,
    user: User | None,
    audit: Audit,
) -> None:
    token = secrets.token_urlsafe(32)
    block = None
    if user is not None:
        try:
            with transaction.atomic():
                block, _ = LoginBlock.objects.update_or_create(
                    identifier=email_key(identifier),
                    connection=connection,
                    ip=ip,
                    defaults={"user": user, "token_hash": token_hash(token)},
                )
        except IntegrityError:  # another server blocked the same pair at the same moment
            return
    log_event(
        type=LogType.LIMIT_WC,
        description=f"{_threshold()} consecutive failed logins into this account from one IP",
        user=user,
        user_name=identifier,
        connection_name=connection,
        **{**audit.log_fields(), "ip": ip},  # the blocked pair's address, whoever asks
    )
    # One email an hour per user (a botnet blocking pair after pair must not flood the inbox);
    # the newest link releases every block of the user, so no block is left without a way out.
    if (
        user is not None
        and block is not None
        and ratelimit.hit("blocked_account_email", key=str(user.pk)).allowed
    ):
        account_blocked.send(sender=LoginBlock, user=user, block=block, token=token)


# --- Reads -------------------------------------------------------------------------------


def login_blocks_of_user(*, user: User) -> QuerySet[LoginBlock]:
    """The user's blocked pairs, newest first."""
    return LoginBlock.objects.filter(user=user).order_by("-created_at", "-id")


def login_blocks_of_identifier(*, identifier: str) -> QuerySet[LoginBlock]:
    """The blocked pairs of whoever logs in with this email (any connection), newest first."""
    return LoginBlock.objects.filter(identifier=email_key(identifier)).order_by(
        "-created_at", "-id"
    )


def login_block_by_token(*, token: str) -> LoginBlock | None:
    """The block an unblock link's token releases, if it is still there."""
    if not token or len(token) > 100:
        return None
    return (
        LoginBlock.objects.select_related("user", "user__connection")
        .filter(token_hash=token_hash(token))
        .first()
    )


# --- Releases ----------------------------------------------------------------------------


def login_blocks_release(
    *, blocks: QuerySet[LoginBlock], audit: Audit, door_detail: str = ""
) -> int:
    """Remove these blocks (and their failure counts); log ``ublkdu`` for each. How many went.

    ``door_detail`` names the door on the rows when it says more than ``audit.door`` (a
    password change's release says which door changed the password).
    """
    released = 0
    for block in blocks.select_related("user", "user__connection"):
        # A conditional delete: of two releases at once, only one counts and logs.
        deleted, _ = LoginBlock.objects.filter(pk=block.pk).delete()
        if not deleted:
            continue
        released += 1
        cache.delete(
            _counter_key(ip=block.ip, identifier=block.identifier, connection=block.connection)
        )
        log_event(
            type=LogType.BLOCK_RELEASED,
            description="Brute-force block released",
            user=block.user,
            details={"door": door_detail or str(audit.door), "blocked_ip": block.ip},
            **audit.log_fields(),
        )
    return released


def login_block_release_by_token(*, token: str, request: HttpRequest | None = None) -> bool:
    """Follow an unblock link: release the user's blocks, once (the token dies with its row).

    The mailbox's owner asked, so every block of theirs goes, not only the one that mailed the
    link (later blocks within the hour send no email of their own).
    """
    block = login_block_by_token(token=token)
    if block is None:
        return False
    # The link's own row first (a conditional delete): of two clicks at once, one releases.
    audit = Audit.of(request, door=Door.UNBLOCK_LINK)
    released = login_blocks_release(blocks=LoginBlock.objects.filter(pk=block.pk), audit=audit)
    if released != 1:
        return False
    login_blocks_release(blocks=login_blocks_of_user(user=block.user), audit=audit)
    return True


def _release_on_password_change(sender: object, user: User, **kwargs: object) -> None:
    # As Auth0 does: a new password ends the reason for the block (guesses of the old one).
    door = str(kwargs.get("door", ""))
    login_blocks_release(
        blocks=login_blocks_of_user(user=user),
        audit=Audit(door=Door(door) if door in set(Door) else Door.COMMAND),
        door_detail=f"password_change:{door}",
    )


def connect_receivers() -> None:
    """Release a user's blocks when their password changes (called from AccountsConfig.ready)."""
    from accounts.services import password_changed

    password_changed.connect(
        _release_on_password_change, sender=User, dispatch_uid="accounts.bruteforce.release"
    )
