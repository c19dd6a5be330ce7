"""Slack Events API and interactivity, verified by the ``v0`` signing-secret scheme.

``X-Slack-Signature = v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw body}">`` keyed by the app's
signing secret; requests whose ``X-Slack-Request-Timestamp`` is more than five minutes away from
now are refused (replay window). Events carrying ``bot_id`` (our own posts, other bots) are
dropped so the bot never answers itself.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import orjson
from starlette.responses import JSONResponse, Response

from frontdesk.channels.canonical import Inbound, Media, Reply
from frontdesk.channels.protocol import (
    Capabilities,
    Parsed,
    Payload,
    ProviderError,
    Target,
    WebhookRequest,
    check_response,
    form_body,
    json_body,
    require_header,
    same,
)
from frontdesk.core.errors import BadRequest, Unauthorized

REPLAY_WINDOW = 300
FILE_KINDS = {"image": "image", "audio": "audio", "video": "video"}


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value for ``body`` sent at ``timestamp``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackAdapter:
    """A Slack app: messages from the Events API, button taps from interactivity."""

    type = "slack"
    capabilities = Capabilities(
        max_buttons=5, max_button_title=75, max_list_rows=0, media=False, max_text=3000
    )
    content_types = ("application/json", "application/x-www-form-urlencoded")
    required_credentials = ("signing_secret", "bot_token")
    required_config: tuple[str, ...] = ()
    generated_credential = None

    def verify(self, request: WebhookRequest, credentials: dict[str, str]) -> None:
        """Check the timestamp window, then the ``v0`` signature (constant time)."""
        timestamp = require_header(request, "X-Slack-Request-Timestamp")
        signature = require_header(request, "X-Slack-Signature")
        try:
            age = abs(request.now - int(timestamp))
        except ValueError:
            raise Unauthorized("X-Slack-Request-Timestamp is not a number") from None
        if age > REPLAY_WINDOW:
            raise Unauthorized("X-Slack-Request-Timestamp is outside the 5-minute window")
        expected = slack_signature(credentials["signing_secret"], timestamp, request.body)
        if not same(signature, expected):
            raise Unauthorized("X-Slack-Signature does not match")

    def handshake(self, request: WebhookRequest, credentials: dict[str, str]) -> Response | None:
        """Echo ``url_verification``'s challenge (after the signature was checked)."""
        if request.method != "POST" or request.content_type != "application/json":
            return None
        data = json_body(request)
        if data.get("type") != "url_verification":
            return None
        return JSONResponse({"challenge": str(data.get("challenge", ""))})

    def ack(self) -> Response | None:
        """An empty 200 (Slack shows a JSON body of an interaction to the user)."""
        return Response(status_code=200)

    def parse(self, request: WebhookRequest) -> Parsed:
        """A message event, or a ``block_actions`` button tap."""
        retry = request.headers.get("x-slack-retry-num")
        context = {"slack_retry_num": int(retry)} if retry and retry.isdigit() else {}
        if request.content_type == "application/x-www-form-urlencoded":
            raw = form_body(request).get("payload")
            if raw is None:
                raise BadRequest("Slack interactivity needs a payload field")
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                raise BadRequest(f"Malformed JSON in payload: {e}") from e
            if not isinstance(data, dict):
                raise BadRequest("payload must be a JSON object")
            return _action(data, context)
        data = json_body(request)
        if data.get("type") != "event_callback":
            return []
        event = data.get("event")
        if not isinstance(event, dict) or event.get("type") != "message":
            return []
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share"):
            return []  # bots (ourselves included) and edits/deletes are not customer messages
        return [_message(str(data.get("event_id", "")), event, context, data)]

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """``chat.postMessage`` with a section block and, for buttons, an actions block."""
        text = reply.text or "…"
        payload: Payload = {"channel": target.thread_id, "text": text}
        if target.context.get("thread_ts"):
            payload["thread_ts"] = target.context["thread_ts"]
        if reply.buttons:
            payload["blocks"] = [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": b.title},
                            "action_id": f"choice_{i}",
                            "value": b.id,
                        }
                        for i, b in enumerate(reply.buttons)
                    ],
                },
            ]
        return [payload]

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """POST ``chat.postMessage``; Slack answers 200 with ``ok`` false on errors."""
        response = await client.post(
            f"{base_url}/chat.postMessage",
            headers={"Authorization": f"Bearer {credentials['bot_token']}"},
            json=payload,
        )
        body = check_response(response, "slack")
        if not isinstance(body, dict) or body.get("ok") is not True:
            error = body.get("error") if isinstance(body, dict) else None
            raise ProviderError(f"slack refused the message: {error or 'no ok in answer'}")
        return f"{body.get('channel', payload['channel'])}:{body.get('ts', '')}"


def _message(
    event_id: str, event: dict[str, Any], context: dict[str, Any], raw: dict[str, Any]
) -> Inbound:
    if not event_id:
        raise BadRequest("Slack event without event_id")
    channel = str(event.get("channel", ""))
    base: dict[str, Any] = {
        "external_id": event_id,
        "sender_id": str(event.get("user", "")),
        "thread_id": channel,
        "text": str(event.get("text", "")),
        "context": {
            **context,
            **({"thread_ts": event["thread_ts"]} if event.get("thread_ts") else {}),
        },
        "raw": raw,
    }
    files = [f for f in event.get("files") or [] if isinstance(f, dict)]
    if files:
        first = files[0]
        mime = str(first.get("mimetype", ""))
        kind = FILE_KINDS.get(mime.split("/")[0], "document")
        media = Media(
            url=first.get("url_private"),
            mime_type=mime or None,
            filename=first.get("name"),
            size=first.get("size"),
        )
        return Inbound(kind=kind, media=media, **base)
    return Inbound(kind="text", **base)


def _action(data: dict[str, Any], context: dict[str, Any]) -> Parsed:
    if data.get("type") != "block_actions":
        return []
    actions = [a for a in data.get("actions") or [] if isinstance(a, dict)]
    if not actions:
        return []
    action = actions[0]
    channel = str((data.get("channel") or {}).get("id", ""))
    user = str((data.get("user") or {}).get("id", ""))
    return [
        Inbound(
            external_id=f"action:{action.get('action_ts') or data.get('trigger_id')}",
            kind="button_reply",
            sender_id=user,
            thread_id=channel,
            text=str((action.get("text") or {}).get("text", action.get("value", ""))),
            choice_id=str(action.get("value", "")),
            context=context,
            raw=data,
        )
    ]
