"""Dashboard figures and live events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

Bucket = Literal["hour", "day"]


class VolumePoint(BaseModel):
    """Messages of one channel type and direction in one period."""

    bucket: datetime
    channel: str
    direction: str
    count: int


class Latency(BaseModel):
    """Time from accepting a customer message to storing the bot's reply, in milliseconds."""

    count: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class Stats(BaseModel):
    """What the dashboard shows for a window of ``hours`` ending now."""

    hours: int
    bucket: Bucket
    volume: list[VolumePoint]
    conversations: dict[str, int]
    jobs: dict[str, int]
    queue_depth: int
    dead_letters: int
    latency: Latency


class LiveEvent(BaseModel):
    """One domain event relayed to the console."""

    id: str
    type: str
    payload: dict[str, Any]
    created_at: datetime
