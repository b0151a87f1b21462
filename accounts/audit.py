"""Who did a write, through which door, from where and why: the ``Audit`` every write service
takes, built once at the door (a view, an API operation, a command, the worker)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from accounts.events import client_ip, user_agent

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import Application, User


class Door(StrEnum):
    """Where a change came from."""

    RESET = "reset"
    API = "api"
    DASHBOARD = "dashboard"
    ACCOUNT = "account"  # the user's own change, with their current password
    COMMAND = "command"
    IMPORT = "import"
    UNBLOCK_LINK = "unblock_link"  # the link a brute-force block mails to the account's owner
    LOGIN = "login"  # a sign-in: the hosted login page or the token endpoint


@dataclass(frozen=True)
class Audit:
    """The acting side of a log row: ``actor`` (a staff member or the user), ``application``
    (the API client or the ticket's), the caller's ``ip`` and ``agent``, the actor's own words
    (``reason``) and the ``door``."""

    door: Door
    actor: User | None = None
    application: Application | None = None
    ip: str | None = None
    agent: str = ""
    reason: str = ""

    @classmethod
    def of(
        cls,
        request: HttpRequest | None,
        *,
        door: Door,
        actor: User | None = None,
        application: Application | None = None,
        reason: str = "",
    ) -> Audit:
        """The audit of a request: its address and user agent (none outside a request)."""
        return cls(
            door=door,
            actor=actor,
            application=application,
            ip=client_ip(request),
            agent=user_agent(request),
            reason=reason,
        )

    def log_fields(self) -> dict[str, Any]:
        """The keywords ``log_event`` takes for it."""
        return {
            "actor": self.actor,
            "application": self.application,
            "ip": self.ip,
            "agent": self.agent,
            "reason": self.reason,
        }
