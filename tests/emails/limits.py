"""Run a piece of code under a time and memory budget, failing (not hanging) when it overruns."""

from __future__ import annotations

import contextlib
import signal
import time
import tracemalloc
from collections.abc import Iterator

# Templates that tried to take a worker's time or memory (issue 8, Medium 2).
HUGE_LOOP = "{% for i in (1..100000000) %}x{% endfor %}"
NESTED_LOOPS = "{% for i in (1..100000) %}{% for j in (1..100000) %}xy{% endfor %}{% endfor %}"
# Each loop is under the iteration limit; together they are 5 million iterations (a minute
# without the time limit). Short enough to parse quickly even under tracemalloc.
MANY_LOOPS = "{% for i in (1..9999) %}{% endfor %}" * 500
DOUBLED = (
    "{% assign s = '" + "x" * 50 + "' %}"
    "{% for i in (1..10) %}{% assign s = s | append: s %}{% endfor %}"
)
QUADRATIC_JOIN = DOUBLED + "{% assign t = s | split: '' | join: s %}{{ t | size }}"
QUADRATIC_REPLACE = DOUBLED + "{% assign t = s | replace: 'x', s %}{{ t | size }}"
RANGE_JOIN = "{{ (1..100000000) | join: ',' | size }}"
SQUARING = (
    "{% assign n = 99999999999999999999 %}"
    "{% for i in (1..40) %}{% assign n = n | times: n %}{% endfor %}{{ n | size }}"
)
FILTER_CHAIN = (
    DOUBLED + "{% for i in (1..10000) %}{% assign t = s" + " | upcase" * 3000 + " %}{% endfor %}"
)
# python-liquid applies offset (stepping through) and reversed (listing) before its limit.
REVERSED_LOOP = "{% for i in (1..100000000) reversed %}x{% endfor %}"
OFFSET_LOOP = "{% for i in (1..100000000) limit: 5 offset: 99999990 %}{{ i }}{% endfor %}"
# Parsing, before any rendering: each unclosed raw tag makes the lexer scan to the end (50 s for
# these 90 KB), and 19,000 tiny tags take seconds to parse.
UNCLOSED_RAW = "{% raw %}" * 10_000
MANY_OUTPUTS = "{{a}}" * 19_000
ATTACKS = {
    "huge loop": HUGE_LOOP,
    "nested loops": NESTED_LOOPS,
    "reversed loop": REVERSED_LOOP,
    "offset loop": OFFSET_LOOP,
    "many loops": MANY_LOOPS,
    "quadratic join": QUADRATIC_JOIN,
    "quadratic replace": QUADRATIC_REPLACE,
    "range join": RANGE_JOIN,
    "squaring": SQUARING,
    "filter chain": FILTER_CHAIN,
    "unclosed raw": UNCLOSED_RAW,
    "many outputs": MANY_OUTPUTS,
}

SECONDS = 2.0
MEGABYTES = 50


class Overran(Exception):
    pass


@contextlib.contextmanager
def budget(seconds: float = SECONDS, megabytes: int = MEGABYTES) -> Iterator[None]:
    """Fail unless the block ends (however) within ``seconds`` and allocates under ``megabytes``.

    An alarm interrupts a block that runs past twice the budget, so that a regression fails the
    test instead of hanging the suite (tests run in the main thread, where signals arrive).
    """

    def alarm(signum: int, frame: object) -> None:
        raise Overran(f"still running after {2 * seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, 2 * seconds)
    tracemalloc.start()
    started = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - started
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert peak < megabytes * 2**20, f"allocated {peak / 2**20:.0f} MB at peak"
