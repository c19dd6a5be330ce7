"""Capture a module's structlog output, rendered as the configured processors render it."""

from __future__ import annotations

import io
from types import ModuleType

import pytest
import structlog
from structlog import PrintLogger


def capture_log(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> io.StringIO:
    """Replace ``module.log`` for the test; the returned buffer holds every line it writes."""
    rendered = io.StringIO()
    processors = structlog.get_config()["processors"]
    logger = structlog.wrap_logger(PrintLogger(rendered), processors=processors)
    monkeypatch.setattr(module, "log", logger)
    return rendered
