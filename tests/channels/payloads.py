"""Webhook bodies in the shapes the providers document, and signing helpers (oracles)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import orjson
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from frontdesk.channels.email import mailgun_signature
from frontdesk.channels.meta import meta_signature


def whatsapp_text(
    msg_id: str = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMzlGRgA=",
    text: str = "When will my order arrive?",
    sender: str = "16505551234",
) -> dict[str, Any]:
    return whatsapp_value(
        {
            "messages": [
                {
                    "from": sender,
                    "id": msg_id,
                    "timestamp": "1749416383",
                    "type": "text",
                    "text": {"body": text},
                }
            ],
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": sender}],
        }
    )


def whatsapp_value(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": "106540352242922",
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def messenger_message(message: dict[str, Any], sender: str = "PSID1") -> dict[str, Any]:
    """A Messenger webhook carrying one ``message`` event from ``sender`` to the page."""
    event = {"sender": {"id": sender}, "recipient": {"id": "PAGE"}, "timestamp": 1}
    return {
        "object": "page",
        "entry": [{"id": "PAGE", "messaging": [{**event, "message": message}]}],
    }


def whatsapp_message(kind: str, item: Any, msg_id: str = "wamid.X1") -> dict[str, Any]:
    message: dict[str, Any] = {"from": "16505551234", "id": msg_id, "timestamp": "1", "type": kind}
    message[kind] = item
    return whatsapp_value({"messages": [message]})


def telegram_button(update_id: int = 10000, data: str = "shipping") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {"id": 1111111, "is_bot": False, "first_name": "Test", "username": "Test"},
            "message": {
                "message_id": 1365,
                "from": {"id": 2222222, "is_bot": True, "first_name": "Shop bot"},
                "chat": {"id": 1111111, "type": "private", "first_name": "Test"},
                "date": 1441645532,
                "text": "How can I help?",
                "reply_markup": {
                    "inline_keyboard": [
                        [{"text": "When will my order arrive?", "callback_data": data}]
                    ]
                },
            },
            "chat_instance": "-8210000000000000000",
            "data": data,
        },
    }


def telegram_text(update_id: int = 10001, text: str = "Can I return an item?") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1366,
            "from": {"id": 1111111, "is_bot": False, "first_name": "Test", "last_name": "User"},
            "chat": {"id": 1111111, "type": "private"},
            "date": 1441645532,
            "text": text,
        },
    }


def slack_message(
    event_id: str = "Ev08MFMKH6", text: str = "When will my order arrive?", **extra: Any
) -> dict[str, Any]:
    return {
        "token": "XXYYZZ",
        "team_id": "T123ABC456",
        "api_app_id": "A123ABC456",
        "event": {
            "type": "message",
            "channel": "D024BE91L",
            "user": "U2147483697",
            "text": text,
            "ts": "1355517523.000005",
            "event_ts": "1355517523.000005",
            "channel_type": "im",
            **extra,
        },
        "type": "event_callback",
        "authed_users": ["U123ABC456"],
        "event_id": event_id,
        "event_time": 1355517523,
    }


def meta_headers(secret: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(secret, body)}


def slack_headers(
    secret: str, body: bytes, ts: int | None = None, content_type: str = "application/json"
) -> dict[str, str]:
    """Signed with slack_sdk's own signer: the oracle."""
    timestamp = str(int(time.time()) if ts is None else ts)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature or "",
    }


def twilio_request(token: str, url: str, params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A form body signed with twilio's RequestValidator: the oracle."""
    signature = RequestValidator(token).compute_signature(url, params)
    return urlencode(params).encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }


def mailgun_fields(
    key: str, token: str, timestamp: int | None = None, **fields: str
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "timestamp": ts,
        "token": token,
        "signature": mailgun_signature(key, ts, token),
        "sender": "bob@example.com",
        "from": "Bob <bob@example.com>",
        "recipient": "support@shop.example",
        "subject": "Order question",
        "body-plain": "When will my order arrive?\n\n> quoted",
        "stripped-text": "When will my order arrive?",
        "Message-Id": "<CAF=abc123@mail.example.com>",
        **fields,
    }


def dumps(data: Any) -> bytes:
    return orjson.dumps(data)
