"""WhatsApp Cloud API: Meta's signature scheme, ``entry[].changes[].value`` payloads."""

from __future__ import annotations

from typing import Any

import httpx

from frontdesk.channels.canonical import (
    Inbound,
    Media,
    Reply,
    SharedContact,
    StatusUpdate,
    Template,
)
from frontdesk.channels.meta import MetaWebhook, graph_response, objects
from frontdesk.channels.protocol import (
    Capabilities,
    Parsed,
    Payload,
    ProviderError,
    Target,
    WebhookRequest,
    clip,
    json_body,
)

MEDIA_KINDS = {"image": "image", "sticker": "image", "audio": "audio", "voice": "audio"}
MEDIA_KINDS |= {"video": "video", "document": "document"}
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}


class WhatsAppAdapter(MetaWebhook):
    """WhatsApp Business Cloud API (Graph ``/{phone_number_id}/messages``)."""

    type = "whatsapp"
    capabilities = Capabilities(
        max_buttons=3,
        max_button_title=20,
        max_list_rows=10,
        max_row_title=24,
        media=True,
        location=True,
        templates=True,
        max_text=4096,
    )
    required_credentials = ("app_secret", "access_token")
    required_config = ("phone_number_id",)

    def parse(self, request: WebhookRequest) -> Parsed:
        """Messages and statuses of every ``entry[].changes[].value``."""
        data = json_body(request)
        out: Parsed = []
        for entry in objects(data.get("entry")):
            for change in objects(entry.get("changes")):
                value = change.get("value")
                if not isinstance(value, dict):
                    continue
                names = {
                    str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                    for c in objects(value.get("contacts"))
                }
                for message in objects(value.get("messages")):
                    out.append(_message(message, names))
                for status in objects(value.get("statuses")):
                    if status.get("id") and status.get("status") in STATUSES:
                        errors = objects(status.get("errors"))
                        out.append(
                            StatusUpdate(
                                provider_message_id=str(status["id"]),
                                status=STATUSES[status["status"]],
                                reason=str(errors[0].get("title")) if errors else None,
                            )
                        )
        return out

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """One Cloud API message: text, interactive buttons or list, media or location."""
        base: Payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": target.recipient_id,
        }
        if reply.template is not None:  # the approved template says it all
            return [{**base, "type": "template", "template": _template(reply.template)}]
        payloads: list[Payload] = []
        if reply.media is not None:
            media: dict[str, Any] = {"link": reply.media.url}
            if reply.media.caption and reply.media.kind != "audio":
                media["caption"] = reply.media.caption
            if reply.media.filename and reply.media.kind == "document":
                media["filename"] = reply.media.filename
            payloads.append({**base, "type": reply.media.kind, reply.media.kind: media})
        if reply.location is not None:
            loc = reply.location.model_dump(exclude_none=True)
            payloads.append({**base, "type": "location", "location": loc})
        body = {"text": clip(reply.text or "…", 1024)}
        if reply.buttons:
            buttons = [
                {"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in reply.buttons
            ]
            interactive = {"type": "button", "body": body, "action": {"buttons": buttons}}
            payloads.append({**base, "type": "interactive", "interactive": interactive})
        elif reply.rows:
            rows = [r.model_dump(exclude_none=True) for r in reply.rows]
            action = {"button": reply.list_button, "sections": [{"title": "Options", "rows": rows}]}
            interactive = {"type": "list", "body": body, "action": action}
            payloads.append({**base, "type": "interactive", "interactive": interactive})
        elif reply.text:
            payloads.append({**base, "type": "text", "text": {"body": reply.text}})
        return payloads

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """POST to ``/{phone_number_id}/messages``; the answer carries ``messages[0].id``."""
        response = await client.post(
            f"{base_url}/{config['phone_number_id']}/messages",
            headers={"Authorization": f"Bearer {credentials['access_token']}"},
            json=payload,
        )
        body = graph_response(response, "whatsapp")
        messages = body.get("messages") if isinstance(body, dict) else None
        if not messages or not isinstance(messages[0], dict) or not messages[0].get("id"):
            raise ProviderError("whatsapp answered without a message id")
        return str(messages[0]["id"])


def _template(template: Template) -> dict[str, Any]:
    """The Cloud API ``template`` object: name, language, and the components' parameters."""
    out: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    components: list[dict[str, Any]] = []
    if (header := template.header) is not None:
        value: dict[str, Any] = (
            {"type": "text", "text": header.text}
            if header.kind == "text"
            else {"type": header.kind, header.kind: {"link": header.url}}
        )
        if header.filename:
            value[header.kind]["filename"] = header.filename
        components.append({"type": "header", "parameters": [value]})
    if template.parameters:
        parameters = [{"type": "text", "text": p} for p in template.parameters]
        components.append({"type": "body", "parameters": parameters})
    for button in template.buttons:
        parameter = (
            {"type": "payload", "payload": button.value}
            if button.kind == "quick_reply"
            else {"type": "text", "text": button.value}
        )
        components.append(
            {
                "type": "button",
                "sub_type": button.kind,
                "index": str(button.index),
                "parameters": [parameter],
            }
        )
    if components:
        out["components"] = components
    return out


def _message(message: dict[str, Any], names: dict[str, Any]) -> Inbound:
    sender = str(message.get("from", ""))
    kind = str(message.get("type", ""))
    context = message.get("context") or {}
    base: dict[str, Any] = {
        "external_id": str(message.get("id", "")),
        "sender_id": sender,
        "thread_id": sender,
        "sender_name": names.get(sender),
        "reply_to_external_id": context.get("id"),
        "raw": message,
    }
    found = message.get(kind)
    item: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "text":
        return Inbound(kind="text", text=str(item.get("body", "")), **base)
    if kind in MEDIA_KINDS:
        media = Media(
            provider_id=item.get("id"),
            mime_type=item.get("mime_type"),
            filename=item.get("filename"),
        )
        caption = str(item.get("caption", ""))
        return Inbound(kind=MEDIA_KINDS[kind], text=caption, media=media, **base)
    if kind == "interactive":
        for sub, canonical in (("button_reply", "button_reply"), ("list_reply", "list_reply")):
            choice = item.get(sub)
            if isinstance(choice, dict):
                return Inbound(
                    kind=canonical,
                    text=str(choice.get("title", "")),
                    choice_id=str(choice.get("id", "")),
                    **base,
                )
    if kind == "button":  # a template's quick-reply button
        return Inbound(
            kind="button_reply",
            text=str(item.get("text", "")),
            choice_id=str(item.get("payload", "")),
            **base,
        )
    if kind == "location":
        return Inbound(kind="location", location=item, text=str(item.get("name") or ""), **base)
    if kind == "contacts":
        cards = [
            SharedContact(
                name=str((c.get("name") or {}).get("formatted_name", "")),
                phones=[str(p.get("phone")) for p in objects(c.get("phones")) if p.get("phone")],
                emails=[str(e.get("email")) for e in objects(c.get("emails")) if e.get("email")],
            )
            for c in objects(message.get("contacts"))
        ]
        return Inbound(kind="contacts", contacts=cards, **base)
    if kind == "reaction":
        return Inbound(
            kind="reaction",
            reaction=item.get("emoji"),
            reply_to_external_id=item.get("message_id"),
            **{k: v for k, v in base.items() if k != "reply_to_external_id"},
        )
    return Inbound(kind="unknown", **base)
