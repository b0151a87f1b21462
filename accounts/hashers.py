"""Argon2id with parameters from settings, so raising them upgrades hashes on next login."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import hashers


class Argon2idPasswordHasher(hashers.Argon2PasswordHasher):
    """Argon2id; the default profile is OWASP's (m=19 MiB, t=2, p=1), see REKEY_ARGON2."""

    algorithm = "argon2"

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return int(settings.REKEY_ARGON2["time_cost"])

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return int(settings.REKEY_ARGON2["memory_cost"])

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return int(settings.REKEY_ARGON2["parallelism"])
