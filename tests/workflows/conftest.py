"""Fixtures of the workflow tests: the local fake API that HTTP actions and sends call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.workflows.effects_server import FakeApi


@pytest.fixture(scope="module")
def api_server() -> Iterator[FakeApi]:
    server = FakeApi().start()
    yield server
    server.stop()


@pytest.fixture
def api(api_server: FakeApi) -> FakeApi:
    api_server.reset()
    return api_server
