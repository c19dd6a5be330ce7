"""backoff_seconds: exponential, capped, with equal jitter."""

from __future__ import annotations

import random

import pytest

from frontdesk.queue.base import backoff_seconds


class Edge(random.Random):
    """A random source stuck at one end of every range."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


LOW, HIGH = Edge(high=False), Edge(high=True)


@pytest.mark.parametrize(("attempt", "delay"), [(1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0)])
def test_delay_doubles_with_each_attempt(attempt: int, delay: float):
    assert backoff_seconds(attempt, 2.0, 1000.0, HIGH) == delay
    assert backoff_seconds(attempt, 2.0, 1000.0, LOW) == delay / 2


def test_delay_is_capped():
    assert backoff_seconds(10, 1.0, 60.0, HIGH) == 60.0
    assert backoff_seconds(10, 1.0, 60.0, LOW) == 30.0


def test_many_attempts_stay_at_the_cap():
    """A queue configured to retry for days (max_attempts in the thousands) keeps working."""
    assert backoff_seconds(2000, 1.0, 300.0, HIGH) == 300.0


@pytest.mark.parametrize("attempt", [0, -3])
def test_attempts_below_one_use_the_base_delay(attempt: int):
    assert backoff_seconds(attempt, 3.0, 100.0, HIGH) == 3.0


def test_jitter_stays_within_half_and_full_delay():
    rng = random.Random(42)
    for attempt in range(1, 12):
        delay = min(30.0, 0.5 * 2 ** (attempt - 1))
        values = [backoff_seconds(attempt, 0.5, 30.0, rng) for _ in range(200)]
        assert all(delay / 2 <= v <= delay for v in values)
        assert len(set(values)) > 1, "jitter spreads retries out"


def test_default_random_source_is_used_when_none_given():
    values = {backoff_seconds(4, 1.0, 100.0) for _ in range(50)}
    assert all(4.0 <= v <= 8.0 for v in values)
    assert len(values) > 1


def test_seeded_source_is_reproducible():
    first = [backoff_seconds(n, 1.0, 100.0, random.Random(7)) for n in range(1, 6)]
    again = [backoff_seconds(n, 1.0, 100.0, random.Random(7)) for n in range(1, 6)]
    assert first == again
