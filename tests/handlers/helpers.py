"""Driving a web chat conversation and reading it as members see it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conversations.inbox_helpers import wait_for_messages
from tests.factories import open_session


class Chat:
    """One customer's web chat session."""

    def __init__(self, client: httpx.AsyncClient, slug: str, member_headers: dict[str, str]):
        self.client = client
        self.slug = slug
        self.member_headers = member_headers
        self.sid = ""
        self.headers: dict[str, str] = {}
        self.sent = 0

    async def open(self) -> Chat:
        self.sid, self.headers = await open_session(self.client, self.slug)
        return self

    async def say(self, text: str, replies: int = 1) -> list[dict[str, Any]]:
        """Send ``text``; return the whole history once ``replies`` more bot messages came."""
        r = await self.client.post(
            f"/api/v1/webchat/sessions/{self.sid}/messages",
            headers=self.headers,
            json={"text": text},
        )
        assert r.status_code == 202, r.text
        self.sent += 1 + replies
        messages = await wait_for_messages(self.client, self.sid, self.headers, self.sent)
        return await self.history(messages[0]["conversation_id"])

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        r = await self.client.get(
            f"/api/v1/conversations/{conversation_id}/messages", headers=self.member_headers
        )
        assert r.status_code == 200, r.text
        return sorted(r.json(), key=lambda m: (m["created_at"], m["direction"] == "out"))

    async def last_reply(self, text: str) -> dict[str, Any]:
        """Send ``text`` and return the bot's answer to it."""
        history = await self.say(text)
        asked = next(m for m in reversed(history) if m["sender"] == "customer")
        return next(m for m in history if m.get("reply_to_id") == asked["id"])
