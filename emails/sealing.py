"""Encryption at rest of outbox bodies that carry a secret (a ticket link) until delivered."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SealBroken(Exception):
    """A sealed body cannot be opened (SECRET_KEY changed since it was written)."""


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"rekey.emails.sealing:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(payload: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(payload).encode()).decode()


def unseal(token: str, *, max_age: int | None = None) -> dict[str, Any]:
    """Open a sealed payload; SealBroken when tampered with, or older than max_age seconds."""
    try:
        return json.loads(_fernet().decrypt(token.encode(), ttl=max_age))
    except InvalidToken as exc:
        raise SealBroken("the sealed email body cannot be opened") from exc
