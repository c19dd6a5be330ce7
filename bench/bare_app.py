"""Baseline for bench/intake.py: the least a FastAPI endpoint accepting a chat message can do.

Same route shape, same JSON body parsed into a Pydantic model, same 202 answer; no auth, no
rate limit, no database. Served like Frontdesk serves itself (uvloop, httptools, one process).
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()


class MessageIn(BaseModel):
    """A visitor's message."""

    text: str = Field(min_length=1)


class MessageAccepted(BaseModel):
    """The id under which the message would appear."""

    message_id: str


@app.post("/api/v1/webchat/sessions/{session_id}/messages", status_code=202)
async def post_message(session_id: str, body: MessageIn) -> MessageAccepted:
    """Accept the message and do nothing with it."""
    return MessageAccepted(message_id=str(uuid.uuid4()))
