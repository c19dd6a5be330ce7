"""What the API shows of a file's transform."""

from __future__ import annotations

from pydantic import BaseModel

from frontdesk.channels.models import ChannelMedia


class TransformPublic(BaseModel):
    """What was read from a stored file (nothing yet while ``status`` is null)."""

    media_id: str
    kind: str
    file_status: str
    """The file's own status: ``pending`` (not fetched yet), ``stored`` or ``failed``."""
    transform: str | None
    """``ocr`` or ``transcript``."""
    status: str | None
    """``done``, ``not_configured``, ``failed`` or ``skipped``."""
    error: str | None
    """``reason: detail``, e.g. ``not_an_image: …``, ``too_large: …``, ``unauthorized: …``."""
    text: str | None

    @classmethod
    def of(cls, row: ChannelMedia) -> TransformPublic:
        """The view of a ``channel_media`` row."""
        return cls(
            media_id=row.id,
            kind=row.kind,
            file_status=row.status,
            transform=row.transform,
            status=row.transform_status,
            error=row.transform_error,
            text=row.extracted_text,
        )
