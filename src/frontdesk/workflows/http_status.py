"""What an HTTP action's response status means for the run: one classification, live and fake.

2xx and 3xx are results; anything else becomes a :class:`NodeError` whose class decides the
engine's next move: ``transient`` and ``rate_limit`` are retried (the latter not before the
server's ``Retry-After``), ``authentication`` gets one retry after a credential refresh, and
``configuration`` is never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from frontdesk.workflows.nodes.base import NodeError

TRANSIENT_4XX = frozenset({408, 425})
AUTH_STATUSES = frozenset({401, 403})


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def status_error(
    status: int, headers: Mapping[str, str], body: Any, now: datetime | None = None
) -> NodeError | None:
    """The error a response status means, or ``None`` for a usable (2xx/3xx) response."""
    if status < 400:
        return None
    data = {"status": status, "body": body}
    detail = f"HTTP {status}"
    if status == 429:
        lowered = {k.lower(): v for k, v in headers.items()}
        wait = retry_after(lowered.get("retry-after"), now)
        return NodeError(detail, "rate_limit", retry_after=wait, data=data)
    if status >= 500 or status in TRANSIENT_4XX:
        return NodeError(detail, "transient", data=data)
    if status in AUTH_STATUSES:
        return NodeError(detail, "authentication", data=data)
    return NodeError(detail, "configuration", data=data)
