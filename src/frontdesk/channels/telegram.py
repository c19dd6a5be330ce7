"""Telegram Bot API: updates verified by ``X-Telegram-Bot-Api-Secret-Token``.

The secret is the ``secret_token`` given to ``setWebhook``; Frontdesk generates it when the channel
is created. A button tap (``callback_query``) must be acknowledged with ``answerCallbackQuery``
or the user's client keeps spinning: the reply to it starts with that call.
"""

from __future__ import annotations

from typing import Any

import httpx

from frontdesk.channels.canonical import Inbound, Media, Reply, SharedContact
from frontdesk.channels.protocol import (
    Capabilities,
    Parsed,
    Payload,
    ProviderError,
    SecretHeaderWebhook,
    Target,
    WebhookRequest,
    check_response,
    json_body,
)

MEDIA: tuple[tuple[str, str], ...] = (
    ("photo", "image"),
    ("voice", "audio"),
    ("audio", "audio"),
    ("video", "video"),
)
MEDIA += (("document", "document"), ("sticker", "image"))
SEND_MEDIA = {"image": "sendPhoto", "audio": "sendAudio", "video": "sendVideo"}
SEND_MEDIA["document"] = "sendDocument"


class TelegramAdapter(SecretHeaderWebhook):
    """A Telegram bot."""

    type = "telegram"
    capabilities = Capabilities(
        max_buttons=10,
        max_button_title=64,
        max_list_rows=10,
        max_row_title=64,
        media=True,
        location=True,
        max_text=4096,
    )
    content_types = ("application/json",)
    required_credentials = ("bot_token",)
    required_config: tuple[str, ...] = ()
    generated_credential = "secret_token"
    verify_header = "X-Telegram-Bot-Api-Secret-Token"

    def parse(self, request: WebhookRequest) -> Parsed:
        """One update: a message, a button tap or a reaction."""
        update = json_body(request)
        update_id = update.get("update_id")
        if not isinstance(update_id, int):
            return []
        external_id = f"update:{update_id}"
        if isinstance(update.get("callback_query"), dict):
            return [_callback(external_id, update["callback_query"], update)]
        if isinstance(update.get("message_reaction"), dict):
            return _reaction(external_id, update["message_reaction"], update)
        message = update.get("message") or update.get("business_message")
        if isinstance(message, dict):
            return [_message(external_id, message, update)]
        return []

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """``answerCallbackQuery`` first when answering a tap, then the message."""
        chat = target.thread_id
        payloads: list[Payload] = []
        if target.context.get("callback_query_id"):
            payloads.append(
                {
                    "method": "answerCallbackQuery",
                    "callback_query_id": target.context["callback_query_id"],
                }
            )
        if reply.media is not None:
            field = "photo" if reply.media.kind == "image" else reply.media.kind
            media: Payload = {
                "method": SEND_MEDIA[reply.media.kind],
                "chat_id": chat,
                field: reply.media.url,
            }
            if reply.media.caption:
                media["caption"] = reply.media.caption
            payloads.append(media)
        if reply.location is not None:
            loc = reply.location
            payloads.append(
                {
                    "method": "sendLocation",
                    "chat_id": chat,
                    "latitude": loc.latitude,
                    "longitude": loc.longitude,
                }
            )
        choices = [(b.id, b.title) for b in reply.buttons] or [(r.id, r.title) for r in reply.rows]
        if reply.text or choices:
            message: Payload = {"method": "sendMessage", "chat_id": chat, "text": reply.text or "…"}
            if choices:
                keyboard = [[{"text": title, "callback_data": cid[:64]}] for cid, title in choices]
                message["reply_markup"] = {"inline_keyboard": keyboard}
            payloads.append(message)
        return payloads

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """POST ``/bot<token>/<method>``; the answer is ``{"ok": true, "result": …}``."""
        body = dict(payload)
        method = body.pop("method")
        response = await client.post(
            f"{base_url}/bot{credentials['bot_token']}/{method}", json=body
        )
        answer = check_response(response, "telegram")
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            raise ProviderError(f"telegram refused {method}: {str(answer)[:200]}")
        result = answer.get("result")
        if isinstance(result, dict) and "message_id" in result:
            chat = (result.get("chat") or {}).get("id", body.get("chat_id"))
            return f"{chat}:{result['message_id']}"
        return f"{method}:{body.get('callback_query_id', '')}"


def _user(update_part: dict[str, Any]) -> tuple[str, str | None]:
    user = update_part.get("from") or update_part.get("user") or {}
    name = " ".join(filter(None, [user.get("first_name"), user.get("last_name")])) or None
    return str(user.get("id", "")), name


def _callback(external_id: str, query: dict[str, Any], update: dict[str, Any]) -> Inbound:
    sender, name = _user(query)
    message = query.get("message") or {}
    chat = str((message.get("chat") or {}).get("id", sender))
    return Inbound(
        external_id=external_id,
        kind="button_reply",
        sender_id=sender,
        thread_id=chat,
        sender_name=name,
        text=_button_title(message, str(query.get("data", ""))),
        choice_id=str(query.get("data", "")),
        context={"callback_query_id": str(query.get("id", ""))},
        raw=update,
    )


def _button_title(message: dict[str, Any], data: str) -> str:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in keyboard:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                return str(button.get("text", data))
    return data


def _reaction(external_id: str, reaction: dict[str, Any], update: dict[str, Any]) -> Parsed:
    sender, name = _user(reaction)
    emojis = [r.get("emoji") for r in reaction.get("new_reaction") or [] if isinstance(r, dict)]
    chat = str((reaction.get("chat") or {}).get("id", sender))
    return [
        Inbound(
            external_id=external_id,
            kind="reaction",
            sender_id=sender or chat,
            thread_id=chat,
            sender_name=name,
            reaction=next((e for e in emojis if e), None),
            reply_to_external_id=f"{chat}:{reaction.get('message_id')}",
            raw=update,
        )
    ]


def _message(external_id: str, message: dict[str, Any], update: dict[str, Any]) -> Inbound:
    sender, name = _user(message)
    chat = str((message.get("chat") or {}).get("id", sender))
    base: dict[str, Any] = {
        "external_id": external_id,
        "sender_id": sender or chat,
        "thread_id": chat,
        "sender_name": name,
        "raw": update,
    }
    if "text" in message:
        return Inbound(kind="text", text=str(message["text"]), **base)
    for field, kind in MEDIA:
        item = message.get(field)
        if field == "photo" and isinstance(item, list) and item:
            item = item[-1]  # the largest size
        if isinstance(item, dict):
            media = Media(
                provider_id=item.get("file_id"),
                mime_type=item.get("mime_type"),
                filename=item.get("file_name"),
                size=item.get("file_size"),
            )
            text = str(message.get("caption", ""))
            return Inbound(kind=kind, media=media, text=text, **base)
    if isinstance(message.get("location"), dict):
        return Inbound(kind="location", location=message["location"], **base)
    if isinstance(message.get("contact"), dict):
        c = message["contact"]
        card = SharedContact(
            name=" ".join(filter(None, [c.get("first_name"), c.get("last_name")])),
            phones=[str(c["phone_number"])] if c.get("phone_number") else [],
        )
        return Inbound(kind="contacts", contacts=[card], **base)
    return Inbound(kind="unknown", **base)
