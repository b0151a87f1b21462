"""Management API access tokens: RS256 JWTs, their signing key and the JWKS.

The private key is generated once into ``settings.REKEY_JWT_PRIVATE_KEY_PATH`` (mode 0600) or
given there by the operator. Rotation: move the old key's path into
``REKEY_JWT_PREVIOUS_KEY_PATHS`` and put a new key (or nothing, to generate one) at the main
path; tokens signed by a previous key still verify until they expire, and its public key stays
in the JWKS so that other verifiers keep working too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

ALGORITHM = "RS256"

_lock = threading.Lock()
_cache: dict[tuple[str, float], SigningKey] = {}


class InvalidToken(Exception):
    """A bearer token that cannot be trusted; the message is safe to show to the caller."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key))
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": ALGORITHM,
            "kid": self.kid,
            **{k: jwk[k] for k in ("n", "e")},
        }


def _thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint: a kid that every server derives alike from the same key."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _generate(path: Path) -> None:
    """Write a new 2048-bit key to ``path`` unless another process got there first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jwt-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        # link() fails when the file exists: two workers starting at once keep one key.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def _load(path: Path) -> SigningKey:
    stat = path.stat()
    cache_key = (str(path), stat.st_mtime)
    if cached := _cache.get(cache_key):
        return cached
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    signing_key = SigningKey(kid=_thumbprint(key.public_key()), private_key=key)
    _cache[cache_key] = signing_key
    return signing_key


def signing_key() -> SigningKey:
    """The current signing key, generated on first use (outside production)."""
    path = Path(settings.REKEY_JWT_PRIVATE_KEY_PATH)
    with _lock:
        if not path.exists():
            if settings.PRODUCTION and not settings.TESTING:
                # Every server behind the load balancer must sign with the same key: one
                # generated here would make the other servers refuse this server's tokens.
                raise ImproperlyConfigured(
                    f"No JWT signing key at {path} (REKEY_JWT_PRIVATE_KEY_PATH). In production "
                    "give every server the same key, e.g.: openssl genpkey -algorithm RSA "
                    f"-pkeyopt rsa_keygen_bits:2048 -out {path} && chmod 600 {path}"
                )
            _generate(path)
        return _load(path)


def verification_keys() -> dict[str, SigningKey]:
    """Every key whose tokens are still accepted (current first), by kid."""
    keys = {(current := signing_key()).kid: current}
    for name in settings.REKEY_JWT_PREVIOUS_KEY_PATHS:
        with _lock:
            previous = _load(Path(name))
        keys.setdefault(previous.kid, previous)
    return keys


def jwks() -> dict[str, Any]:
    """The public keys as a JSON Web Key Set."""
    return {"keys": [key.public_jwk() for key in verification_keys().values()]}


def issuer() -> str:
    return settings.PUBLIC_URL + "/"


def access_token_issue(*, client_id: str, audience: str, scopes: list[str], expires_in: int) -> str:
    """Sign an access token for an application (client credentials: no user in it)."""
    key = signing_key()
    now = int(timezone.now().timestamp())
    claims = {
        "iss": issuer(),
        "sub": f"{client_id}@clients",
        "aud": audience,
        "iat": now,
        "exp": now + expires_in,
        "scope": " ".join(scopes),
        "gty": "client-credentials",
        "azp": client_id,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def access_token_verify(token: str, *, audience: str) -> dict[str, Any]:
    """The claims of a token signed by one of our keys, for our issuer and ``audience``."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("Bad token: not a JSON Web Token") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"Invalid algorithm: only {ALGORITHM} tokens are accepted")
    key = verification_keys().get(str(header.get("kid", "")))
    if key is None:
        raise InvalidToken("Invalid token: unknown signing key")
    try:
        return jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer(),
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("Expired token received for JSON Web Token validation") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidToken(f"Bad audience: expected {audience}") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidToken(f"Bad issuer: expected {issuer()}") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("Invalid token") from exc
