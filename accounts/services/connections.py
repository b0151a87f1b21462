"""Writes on connections: the password policy, and Auth0's connection update."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.audit import Audit
from accounts.events import log_event
from accounts.models import (
    Application,
    Connection,
    LogType,
)


def connection_policy_update(
    *,
    connection: Connection,
    audit: Audit,
    password_policy: str,
    min_length: int | None,
    history_enable: bool,
    history_size: int,
    no_personal_info: bool,
    dictionary_enable: bool,
    dictionary: list[str],
    password_reset_method: str | None = None,
) -> Connection:
    """Replace a connection's password policy (and reset method, link or code); logged as
    ``sapi`` with the acting staff user."""
    with transaction.atomic():
        _policy_apply(
            connection,
            password_policy=password_policy,
            min_length=min_length,
            history_enable=history_enable,
            history_size=history_size,
            no_personal_info=no_personal_info,
            dictionary_enable=dictionary_enable,
            dictionary=dictionary,
            password_reset_method=password_reset_method,
        )
        connection.save()
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update connection password policy",
            connection_name=connection.name,
            connection_id=connection.id,
            **audit.log_fields(),
            details={
                "password_policy": password_policy,
                "min_length": min_length,
                "history": {"enable": history_enable, "size": connection.history_size},
                "no_personal_info": no_personal_info,
                "dictionary": {"enable": dictionary_enable, "words": len(connection.dictionary)},
            },
        )
    return connection


def _policy_apply(
    connection: Connection,
    *,
    password_policy: str,
    min_length: int | None,
    history_enable: bool,
    history_size: int,
    no_personal_info: bool,
    dictionary_enable: bool,
    dictionary: list[str],
    password_reset_method: str | None = None,
) -> None:
    connection.password_policy = password_policy
    connection.min_length = min_length
    connection.history_enable = history_enable
    connection.history_size = min(history_size, settings.REKEY_PASSWORD_HISTORY_MAX)
    connection.no_personal_info = no_personal_info
    connection.dictionary_enable = dictionary_enable
    connection.dictionary = list(dictionary)[:200]
    if password_reset_method is not None:
        connection.password_reset_method = password_reset_method


def connection_update(
    *,
    connection: Connection,
    display_name: str | None = None,
    policy: dict[str, Any] | None = None,
    options_extra: dict[str, Any] | None = None,
    enabled_clients: Iterable[Application] | None = None,
    audit: Audit,
) -> Connection:
    """Auth0's connection update: name, password policy, other options, clients. Logs ``sapi``."""
    changed: list[str] = []
    with transaction.atomic():
        if display_name is not None:
            connection.display_name = display_name
            changed.append("display_name")
        if policy is not None:
            _policy_apply(connection, **policy)
            changed.append("options")
        if options_extra is not None:
            connection.options_extra = options_extra
            changed.append("options")
        connection.save()
        if enabled_clients is not None:
            connection.applications.set(list(enabled_clients))
            changed.append("enabled_clients")
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update a connection",
            connection_name=connection.name,
            connection_id=connection.id,
            details={"fields": sorted(set(changed))},
            **audit.log_fields(),
        )
    return connection


def connection_clients_set(
    *,
    connection: Connection,
    enable: Iterable[Application] = (),
    disable: Iterable[Application] = (),
    audit: Audit,
) -> None:
    """Enable and disable applications on a connection. Logs ``sapi``."""
    enable, disable = list(enable), list(disable)
    with transaction.atomic():
        connection.applications.add(*enable)
        connection.applications.remove(*disable)
        log_event(
            type=LogType.SUCCESS_API_OPERATION,
            description="Update the clients of a connection",
            connection_name=connection.name,
            connection_id=connection.id,
            **audit.log_fields(),
            details={
                "enabled": sorted(a.client_id for a in enable),
                "disabled": sorted(a.client_id for a in disable),
            },
        )
