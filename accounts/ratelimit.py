"""Rate limits: a per-action table in settings (REKEY_RATELIMITS), keys hashed.

Each rule is a generic cell rate algorithm (GCRA): up to BURST hits at once, then one every
PERIOD/N. The state is one number per key, kept in the cache: in Redis (an atomic Lua script)
when REDIS_URL is set, so every server shares it; otherwise in the process (under a lock).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RULE_RE = re.compile(r"^\s*(\d+)/(\d*)([smhd])/(ip|key|ip_key)(?:~(\d+))?\s*$")


@dataclass(frozen=True)
class Rule:
    limit: int
    period: int
    kind: str
    burst: int

    @property
    def interval(self) -> float:
        return self.period / self.limit


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds at which the bucket is full again
    retry_after: int  # seconds until the next hit would be allowed (0 when allowed)


def parse_rules(spec: str) -> list[Rule]:
    rules = []
    for part in spec.split(","):
        if not part.strip():
            continue
        match = RULE_RE.match(part)
        if not match:
            raise ValueError(f"bad rate-limit rule {part!r}")
        limit, count, unit, kind, burst = match.groups()
        rules.append(
            Rule(
                limit=int(limit),
                period=int(count or 1) * PERIODS[unit],
                kind=kind,
                burst=int(burst or limit),
            )
        )
    return rules


def _hashed(action: str, kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{action}:{kind}:{value}".encode()).hexdigest()
    return f"rl:{action}:{kind}:{digest[:40]}"


# tostring() would keep 14 digits of the time (0.1 ms lost): the state is written with %.6f.
_LUA = """
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
if tat < now then tat = now end
local allow_at = tat - (burst - 1) * interval
if now + 0.001 < allow_at then return {0, string.format('%.6f', tat)} end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
return {1, string.format('%.6f', tat)}
"""

_local_lock = threading.Lock()


def _gcra(key: str, rule: Rule, now: float, consume: bool) -> tuple[bool, float]:
    """Returns (allowed, theoretical arrival time after the call)."""
    if settings.REDIS_URL and consume:
        from django_redis import get_redis_connection

        conn = get_redis_connection("default")
        full_key = cache.make_key(key)
        allowed, tat = conn.eval(_LUA, 1, full_key, now, rule.interval, rule.burst)
        return bool(allowed), float(tat)
    with _local_lock:
        stored = cache.get(key)
        tat = max(float(stored) if stored is not None else now, now)
        # (burst - 1) * interval, not interval - burst * interval, and a millisecond of slack:
        # float rounding must not refuse a hit that is exactly on time (a burst of 1's first).
        if now + 0.001 < tat - (rule.burst - 1) * rule.interval:
            return False, tat
        if consume:
            tat += rule.interval
            cache.set(key, tat, timeout=math.ceil(tat - now) + 1)
        return True, tat


def hit(action: str, *, ip: str | None = None, key: str | None = None) -> Decision:
    """Count one attempt of ``action``; the decision of its strictest rule."""
    spec = settings.REKEY_RATELIMITS.get(action, "")
    now = time.time()
    if not settings.RATELIMIT_ENABLE or not spec:
        return Decision(True, 0, 0, int(now), 0)
    worst: Decision | None = None
    for rule in parse_rules(spec):
        value = {"ip": ip, "key": key, "ip_key": f"{ip}|{key}" if ip and key else None}[rule.kind]
        if value is None:
            continue
        # Each rule has its own bucket, even when two rules of one action share a kind.
        bucket = _hashed(action, rule.kind, f"{rule.limit}/{rule.period}~{rule.burst}|{value}")
        allowed, tat = _gcra(bucket, rule, now, consume=True)
        remaining = max(0, int((rule.burst * rule.interval - (tat - now)) // rule.interval))
        retry_after = 0 if allowed else math.ceil(tat + rule.interval * (1 - rule.burst) - now)
        decision = Decision(allowed, rule.burst, remaining, math.ceil(tat), max(retry_after, 0))
        if (
            worst is None
            or (not decision.allowed and worst.allowed)
            or (decision.allowed == worst.allowed and decision.remaining < worst.remaining)
        ):
            worst = decision
    return worst or Decision(True, 0, 0, int(now), 0)


def headers(decision: Decision) -> dict[str, str]:
    """Auth0's rate-limit headers."""
    result = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_at),
    }
    if not decision.allowed:
        result["Retry-After"] = str(max(decision.retry_after, 1))
    return result
