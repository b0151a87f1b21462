"""A per-process copy of what the anonymous hot path reads of applications and connections.

``POST /dbconnections/change_password`` reads an application and a connection on every
request; both change rarely, and their two queries were most of that request's cost. As with
Django's own ``Site`` cache, the copy is per process and dropped by this process's saves and
deletes (signals, connected in ``AccountsConfig.ready``); a change made in another process is
seen within ``REKEY_CONFIG_CACHE_SECONDS`` (0 turns the copy off). Only lookups that found
both are kept: every refusal asks the database again.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from accounts.models import Application, Connection
from accounts.selectors import application_by_client_id, connection_for_application

_pairs: dict[tuple[str, str], tuple[float, Application | None, Connection]] = {}


def auth_api_targets(
    *, client_id: str, connection_name: str
) -> tuple[Application | None, Connection | None, bool]:
    """The application (None without a ``client_id``) and its enabled database connection of
    that name; the third value is False when ``client_id`` names no application."""
    key = (client_id, connection_name)
    seconds = settings.REKEY_CONFIG_CACHE_SECONDS
    hit = _pairs.get(key)
    if hit is not None and time.monotonic() - hit[0] < seconds:
        return hit[1], hit[2], True
    application = application_by_client_id(client_id) if client_id else None
    if client_id and application is None:
        return None, None, False
    connection = connection_for_application(name=connection_name, application=application)
    if connection is not None and seconds > 0:
        if len(_pairs) > 1000:  # names typed by anyone: a bound, not an eviction policy
            _pairs.clear()
        _pairs[key] = (time.monotonic(), application, connection)
    return application, connection, True


def config_cache_clear(**_: Any) -> None:
    """Drop the copy (a receiver of the applications' and connections' saves and deletes)."""
    _pairs.clear()


def connect_receivers() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in (Application, Connection):
        post_save.connect(config_cache_clear, sender=model, dispatch_uid=f"cfg-save-{model}")
        post_delete.connect(config_cache_clear, sender=model, dispatch_uid=f"cfg-del-{model}")
    m2m_changed.connect(
        config_cache_clear,
        sender=Application.enabled_connections.through,
        dispatch_uid="cfg-m2m",
    )
