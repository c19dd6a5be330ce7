"""What a handler produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to send back, and what the pipeline should record about it."""

    text: str
    handler: str
    meta: dict[str, Any] = field(default_factory=dict)
