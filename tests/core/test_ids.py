"""new_id: UUIDv7 strings that sort in creation order."""

from __future__ import annotations

import threading
import time
import uuid
from types import SimpleNamespace

import pytest

from frontdesk.core import ids
from frontdesk.core.ids import new_id


def parts(value: str) -> tuple[int, int]:
    """(unix milliseconds, 12-bit counter) of a UUIDv7."""
    n = uuid.UUID(value).int
    return n >> 80, (n >> 64) & 0xFFF


def test_ids_are_valid_uuid_v7():
    for _ in range(1000):
        value = new_id()
        parsed = uuid.UUID(value)
        assert str(parsed) == value  # canonical lower-case form, 36 chars
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_carry_the_creation_time():
    before = time.time_ns() // 1_000_000
    ms, _ = parts(new_id())
    after = time.time_ns() // 1_000_000
    assert before <= ms <= after + 1


def test_ids_strictly_increase_as_strings_and_numbers():
    values = [new_id() for _ in range(20_000)]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))
    numbers = [uuid.UUID(v).int for v in values]
    assert all(a < b for a, b in zip(numbers, numbers[1:], strict=False))


def test_ids_are_unique_across_threads():
    results: list[list[str]] = [[] for _ in range(8)]

    def make(out: list[str]) -> None:
        out.extend(new_id() for _ in range(2000))

    threads = [threading.Thread(target=make, args=(out,)) for out in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [v for out in results for v in out]
    assert len(set(everything)) == len(everything)
    for out in results:
        assert out == sorted(out)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The wall clock as seen by ``ids``, under the test's control."""
    clock = SimpleNamespace(ns=time.time_ns())
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: clock.ns))
    return clock


def test_ids_increase_within_one_millisecond_beyond_the_counter(frozen_clock: SimpleNamespace):
    frozen_ms = frozen_clock.ns // 1_000_000
    values = [new_id() for _ in range(10_000)]  # more than 4096 in one millisecond
    assert all(a < b for a, b in zip(values, values[1:], strict=False))
    stamps = [parts(v)[0] for v in values]
    # The counter overflowed: later ids borrow the next milliseconds, but stay close.
    assert stamps[-1] > stamps[0] >= frozen_ms - 1
    assert stamps[-1] - frozen_ms <= 4
    for value in values:
        assert uuid.UUID(value).version == 7


def test_ids_keep_increasing_when_the_clock_steps_back(frozen_clock: SimpleNamespace):
    before = [new_id() for _ in range(10)]
    frozen_clock.ns -= 5_000_000_000  # NTP moved the clock 5 s back
    after = [new_id() for _ in range(10)]
    values = before + after
    assert all(a < b for a, b in zip(values, values[1:], strict=False))
