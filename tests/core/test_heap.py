"""Garbage-collector tuning for server processes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from frontdesk.core import heap


@pytest.fixture
def restore() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    heap._managed = False


def test_outside_a_server_process_nothing_is_frozen(restore: None):
    heap.settle()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold()[0] != heap.YOUNG_THRESHOLD


def test_a_server_process_freezes_what_survives_start_up(restore: None):
    heap.manage()
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
    survivor = {"kept": [1, 2, 3]}
    heap.settle()
    assert gc.get_freeze_count() > 0
    assert all(obj is not survivor for obj in gc.get_objects())  # frozen: out of sight
    fresh = {"new": []}
    assert any(obj is fresh for obj in gc.get_objects(generation=0))
