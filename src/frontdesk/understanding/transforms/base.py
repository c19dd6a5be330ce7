"""What every transform gives back: the file's text, or a stable reason why there is none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["done", "not_configured", "failed", "skipped"]
"""``skipped``: nothing to read or over a cap; ``failed``: tried and could not."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of reading one file.

    ``reason`` is a stable code (``not_an_image``, ``too_large``, ``timeout``,
    ``unauthorized``, …) and ``detail`` says it for people.
    """

    status: Status
    text: str | None = None
    reason: str | None = None
    detail: str | None = None

    @classmethod
    def done(cls, text: str) -> Outcome:
        """The text read (empty when the file holds none)."""
        return cls("done", text.strip())

    @classmethod
    def failed(cls, reason: str, detail: str) -> Outcome:
        """The file could not be read."""
        return cls("failed", reason=reason, detail=detail)

    @classmethod
    def skipped(cls, reason: str, detail: str) -> Outcome:
        """The file was not read, on purpose."""
        return cls("skipped", reason=reason, detail=detail)

    @classmethod
    def not_configured(cls, reason: str, detail: str) -> Outcome:
        """Reading it needs something this installation or tenant lacks."""
        return cls("not_configured", reason=reason, detail=detail)

    @property
    def error(self) -> str | None:
        """``reason: detail`` as stored beside the file (at most 500 characters)."""
        if self.reason is None:
            return None
        return f"{self.reason}: {self.detail}"[:500] if self.detail else self.reason
