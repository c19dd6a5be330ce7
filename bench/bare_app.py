"""Baseline for bench/intake.py: the least a FastAPI endpoint accepting a chat message can do.

Same route shape, same JSON body parsed into a Pydantic model, same 202 answer; no auth, no rate
limit, no database. ``python bench/bare_app.py --port P`` serves it the way ``frontdesk serve``
serves Frontdesk: ``uvicorn.run`` in one process with uvloop, httptools and the same options.
"""

from __future__ import annotations

import argparse
import uuid

import uvicorn
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


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the bare baseline app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=15,
    )


if __name__ == "__main__":
    main()
