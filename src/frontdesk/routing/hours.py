"""Business hours: a week of opening intervals in the tenant's time zone."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontdesk.core.clock import utcnow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Hours = dict[str, list[tuple[str, str]]]
"""Day (``mon`` … ``sun``) → opening intervals ``("09:00", "17:30")``; a missing day is closed."""


def parse_time(text: str) -> time:
    """``"09:30"`` → 09:30; ``"24:00"`` is the end of the day."""
    if text == "24:00":
        return time.max
    return time.fromisoformat(text)


def within_hours(hours: Hours | None, timezone: str, now: datetime | None = None) -> bool:
    """Whether ``now`` falls in the tenant's business hours (always, when it set none)."""
    if not hours:
        return True
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = (now or utcnow()).astimezone(zone)
    moment = local.time()
    for start, end in hours.get(DAYS[local.weekday()], []):
        if parse_time(start) <= moment < parse_time(end):
            return True
    return False
