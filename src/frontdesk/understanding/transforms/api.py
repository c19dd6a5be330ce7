"""What was read from a stored file: ``GET /api/v1/channels/media/{media_id}/transform``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from frontdesk.channels.service import get_media
from frontdesk.core.auth import Principal
from frontdesk.core.deps import SessionDep, require
from frontdesk.understanding.transforms.schemas import TransformPublic

router = APIRouter(prefix="/api/v1/channels/media", tags=["channels"])
Reader = Annotated[Principal, Depends(require("conversations:read"))]


@router.get("/{media_id}/transform", response_model=TransformPublic)
async def get_transform(media_id: str, session: SessionDep, principal: Reader) -> TransformPublic:
    """The OCR text or transcript of a file a customer sent, or why there is none."""
    return TransformPublic.of(await get_media(session, principal.tenant_id, media_id))
