"""The GCRA limiter: burst then steady rate, in-process and shared through Redis."""

from __future__ import annotations

import time_machine

from accounts import ratelimit


def test_rules_parse_with_periods_and_bursts() -> None:
    assert ratelimit.parse_rules("20/m/ip, 1/10m/ip_key~10") == [
        ratelimit.Rule(limit=20, period=60, kind="ip", burst=20),
        ratelimit.Rule(limit=1, period=600, kind="ip_key", burst=10),
    ]


def test_burst_then_one_a_minute_as_auth0(settings) -> None:
    settings.REKEY_RATELIMITS = {"t": "1/m/key~10"}
    with time_machine.travel(1_700_000_000, tick=False) as clock:
        results = [ratelimit.hit("t", key="a@example.com").allowed for _ in range(11)]
        assert results == [True] * 10 + [False]
        clock.shift(30)
        assert not ratelimit.hit("t", key="a@example.com").allowed
        clock.shift(31)
        assert ratelimit.hit("t", key="a@example.com").allowed
        assert not ratelimit.hit("t", key="a@example.com").allowed
        # Another key has its own bucket.
        assert ratelimit.hit("t", key="b@example.com").allowed


def test_denied_decision_says_when_to_retry(settings) -> None:
    settings.REKEY_RATELIMITS = {"t": "2/m/ip"}
    with time_machine.travel(1_700_000_000, tick=False):
        ratelimit.hit("t", ip="10.0.0.1")
        ratelimit.hit("t", ip="10.0.0.1")
        decision = ratelimit.hit("t", ip="10.0.0.1")
    assert not decision.allowed
    assert decision.retry_after == 30
    assert ratelimit.headers(decision)["Retry-After"] == "30"


def test_keys_are_hashed_before_they_reach_the_cache(settings) -> None:
    key = ratelimit._hashed("t", "key", "someone@example.com")
    assert "someone" not in key and "example" not in key


def test_redis_counters_are_shared_by_every_server(redis, settings) -> None:
    """Two clients (two servers) on one Redis see one bucket."""
    from django_redis import get_redis_connection

    settings.REKEY_RATELIMITS = {"shared": "3/m/key"}
    assert ratelimit.hit("shared", key="k").allowed
    # A second server: a new connection pool to the same Redis.
    get_redis_connection("default").connection_pool.disconnect()
    assert ratelimit.hit("shared", key="k").allowed
    assert ratelimit.hit("shared", key="k").allowed
    assert not ratelimit.hit("shared", key="k").allowed
    assert get_redis_connection("default").keys("*rl:shared:key:*")


def test_a_burst_of_one_allows_the_first_hit(settings) -> None:
    settings.REKEY_RATELIMITS = {"t": "1/10m/key~1"}
    # A time with a fraction, where interval - burst * interval used to round above `now`.
    with time_machine.travel(1_795_457_854.123456, tick=False) as clock:
        assert ratelimit.hit("t", key="k").allowed
        assert not ratelimit.hit("t", key="k").allowed
        clock.shift(600)
        assert ratelimit.hit("t", key="k").allowed


def test_two_rules_of_one_kind_keep_their_own_buckets(settings) -> None:
    settings.REKEY_RATELIMITS = {"t": "1/m/key~1,100/h/key"}
    with time_machine.travel(1_700_000_000, tick=False) as clock:
        assert ratelimit.hit("t", key="k").allowed
        assert not ratelimit.hit("t", key="k").allowed
        clock.shift(61)
        # One shared bucket would still hold the hourly rule's later time here.
        assert ratelimit.hit("t", key="k").allowed


def test_a_frozen_clock_on_redis_keeps_the_whole_burst(redis, settings) -> None:
    """The state in Redis keeps its full precision (Lua's tostring would round it up)."""
    settings.REKEY_RATELIMITS = {"t": "3/m/ip"}
    with time_machine.travel(1_795_457_854.123456, tick=False):
        results = [ratelimit.hit("t", ip="10.0.0.9").allowed for _ in range(4)]

    assert results == [True, True, True, False]
