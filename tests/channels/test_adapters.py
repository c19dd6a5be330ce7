"""Parsing providers' documented payloads into the canonical model, and rendering replies."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from frontdesk.channels.canonical import (
    Button,
    ListRow,
    Location,
    OutboundMedia,
    Reply,
    StatusUpdate,
    Template,
    TemplateButton,
    TemplateHeader,
)
from frontdesk.channels.degrade import degrade
from frontdesk.channels.email import EmailAdapter, thread_of
from frontdesk.channels.protocol import Target, WebhookRequest
from frontdesk.channels.registry import ADAPTERS
from frontdesk.core.errors import BadRequest
from tests.channels import payloads


def req(body: bytes, content_type: str = "application/json", **headers: str) -> WebhookRequest:
    return WebhookRequest(
        "POST",
        "https://x/y",
        {"content-type": content_type, **{k.lower(): v for k, v in headers.items()}},
        {},
        body,
        time.time(),
    )


def parse(type_: str, data: object, **kw: str):  # type: ignore[no-untyped-def]
    return ADAPTERS[type_].parse(req(payloads.dumps(data), **kw))


WHATSAPP_KINDS = [
    ("text", {"body": "hi"}, "text", {"text": "hi"}),
    (
        "image",
        {"id": "MEDIA1", "mime_type": "image/jpeg", "caption": "look"},
        "image",
        {"text": "look"},
    ),
    ("audio", {"id": "A1", "mime_type": "audio/ogg; codecs=opus", "voice": True}, "audio", {}),
    ("video", {"id": "V1", "mime_type": "video/mp4"}, "video", {}),
    (
        "document",
        {"id": "D1", "filename": "invoice.pdf", "mime_type": "application/pdf"},
        "document",
        {},
    ),
    (
        "interactive",
        {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}},
        "button_reply",
        {"choice_id": "yes", "text": "Yes"},
    ),
    (
        "interactive",
        {"type": "list_reply", "list_reply": {"id": "r2", "title": "Returns", "description": "d"}},
        "list_reply",
        {"choice_id": "r2"},
    ),
    (
        "location",
        {"latitude": 37.48, "longitude": -122.14, "name": "HQ", "address": "1 Hacker Way"},
        "location",
        {"text": "HQ"},
    ),
    (
        "reaction",
        {"message_id": "wamid.OUT", "emoji": "👍"},
        "reaction",
        {"reaction": "👍", "reply_to_external_id": "wamid.OUT"},
    ),
    (
        "button",
        {"payload": "stop", "text": "Stop promotions"},
        "button_reply",
        {"choice_id": "stop"},
    ),
    ("unsupported", {}, "unknown", {}),
]


@pytest.mark.parametrize(("wa_type", "item", "kind", "fields"), WHATSAPP_KINDS)
def test_whatsapp_every_kind(wa_type: str, item: dict, kind: str, fields: dict):  # type: ignore[type-arg]
    (inbound,) = parse("whatsapp", payloads.whatsapp_message(wa_type, item))
    assert inbound.kind == kind
    assert inbound.sender_id == inbound.thread_id == "16505551234"
    for key, value in fields.items():
        assert getattr(inbound, key) == value
    assert inbound.raw["type"] == wa_type  # kept as delivered


def test_whatsapp_contacts_and_statuses():
    contacts = payloads.whatsapp_value(
        {
            "messages": [
                {
                    "from": "1555",
                    "id": "wamid.C",
                    "timestamp": "1",
                    "type": "contacts",
                    "contacts": [
                        {
                            "name": {"formatted_name": "Ann Lee"},
                            "phones": [{"phone": "+1 555 0100"}],
                        }
                    ],
                }
            ],
            "statuses": [
                {"id": "wamid.OUT1", "status": "delivered", "recipient_id": "1555"},
                {
                    "id": "wamid.OUT2",
                    "status": "failed",
                    "errors": [{"code": 131047, "title": "Re-engagement message"}],
                },
                {"id": "wamid.OUT3", "status": "deleted"},
            ],
        }
    )
    inbound, delivered, failed = parse("whatsapp", contacts)
    assert inbound.kind == "contacts" and inbound.contacts[0].phones == ["+1 555 0100"]
    assert delivered == StatusUpdate(provider_message_id="wamid.OUT1", status="delivered")
    assert isinstance(failed, StatusUpdate) and failed.reason == "Re-engagement message"


def test_whatsapp_several_messages_in_one_webhook():
    data = payloads.whatsapp_text("wamid.A")
    second = payloads.whatsapp_text("wamid.B")["entry"][0]
    data["entry"].append(second)
    assert [m.external_id for m in parse("whatsapp", data)] == ["wamid.A", "wamid.B"]


def test_messenger_and_instagram():
    data = {
        "object": "page",
        "entry": [
            {
                "id": "PAGE",
                "time": 1458692752478,
                "messaging": [
                    {
                        "sender": {"id": "PSID1"},
                        "recipient": {"id": "PAGE"},
                        "timestamp": 1,
                        "message": {"mid": "m_1", "text": "hello"},
                    },
                    {
                        "sender": {"id": "PSID1"},
                        "recipient": {"id": "PAGE"},
                        "timestamp": 2,
                        "message": {"mid": "m_2", "text": "Yes", "quick_reply": {"payload": "YES"}},
                    },
                    {
                        "sender": {"id": "PSID1"},
                        "recipient": {"id": "PAGE"},
                        "timestamp": 3,
                        "postback": {"mid": "m_3", "title": "Start", "payload": "GET_STARTED"},
                    },
                    {
                        "sender": {"id": "PSID1"},
                        "recipient": {"id": "PAGE"},
                        "timestamp": 4,
                        "message": {
                            "mid": "m_4",
                            "attachments": [
                                {"type": "image", "payload": {"url": "https://cdn.example/i.jpg"}}
                            ],
                        },
                    },
                    {
                        "sender": {"id": "PSID1"},
                        "recipient": {"id": "PAGE"},
                        "timestamp": 5,
                        "delivery": {"mids": ["m_out"], "watermark": 5},
                    },
                    {
                        "sender": {"id": "PAGE"},
                        "recipient": {"id": "PSID1"},
                        "timestamp": 6,
                        "message": {"mid": "m_echo", "text": "ours", "is_echo": True},
                    },
                ],
            }
        ],
    }
    for type_ in ("messenger", "instagram"):
        items = parse(type_, data)
        kinds = [getattr(i, "kind", None) or i.status for i in items]  # type: ignore[union-attr]
        assert kinds == ["text", "button_reply", "button_reply", "image", "delivered"]


def test_telegram_kinds():
    (tap,) = parse("telegram", payloads.telegram_button())
    assert tap.kind == "button_reply" and tap.choice_id == "shipping"
    assert tap.text == "When will my order arrive?"
    assert tap.context == {"callback_query_id": "4382bfdwdsb323b2d9"}
    assert tap.external_id == "update:10000"
    (text,) = parse("telegram", payloads.telegram_text())
    assert text.kind == "text" and text.sender_name == "Test User" and text.thread_id == "1111111"
    photo = payloads.telegram_text(10002)
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "small"}, {"file_id": "big", "file_size": 9000}]
    photo["message"]["caption"] = "broken"
    (image,) = parse("telegram", photo)
    assert image.kind == "image" and image.media.provider_id == "big" and image.text == "broken"  # type: ignore[union-attr]
    sticker_poll = payloads.telegram_text(10003)
    del sticker_poll["message"]["text"]
    sticker_poll["message"]["poll"] = {"id": "1"}
    assert parse("telegram", sticker_poll)[0].kind == "unknown"
    assert parse("telegram", {"update_id": 5, "edited_message": {}}) == []


def test_slack_drops_bots_and_edits_and_records_retries():
    (message,) = parse("slack", payloads.slack_message(), **{"X-Slack-Retry-Num": "2"})
    assert message.kind == "text" and message.thread_id == "D024BE91L"
    assert message.context["slack_retry_num"] == 2
    assert parse("slack", payloads.slack_message(bot_id="B123")) == []
    assert parse("slack", payloads.slack_message(subtype="message_changed")) == []
    action = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "channel": {"id": "C1"},
        "trigger_id": "t1",
        "actions": [
            {
                "action_id": "choice_0",
                "value": "ship",
                "action_ts": "1.2",
                "text": {"type": "plain_text", "text": "Shipping"},
            }
        ],
    }
    body = urlencode({"payload": payloads.dumps(action).decode()}).encode()
    (tap,) = ADAPTERS["slack"].parse(req(body, "application/x-www-form-urlencoded"))
    assert tap.kind == "button_reply" and tap.choice_id == "ship" and tap.text == "Shipping"


def test_twilio_message_media_and_status():
    adapter = ADAPTERS["twilio"]
    form = {
        "MessageSid": "SM1",
        "From": "+1555",
        "To": "+1666",
        "Body": "hi",
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/m/1",
        "MediaContentType0": "image/png",
    }
    (mms,) = adapter.parse(req(urlencode(form).encode(), "application/x-www-form-urlencoded"))
    assert mms.kind == "image" and mms.media.url == "https://api.twilio.com/m/1"  # type: ignore[union-attr]
    status = {"MessageSid": "SM9", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    (receipt,) = adapter.parse(req(urlencode(status).encode(), "application/x-www-form-urlencoded"))
    assert receipt == StatusUpdate(
        provider_message_id="SM9", status="failed", reason="Twilio error 30003"
    )


def test_signal_envelope():
    data = {
        "envelope": {
            "source": "+491234",
            "sourceNumber": "+491234",
            "sourceName": "Max",
            "timestamp": 1700000000000,
            "dataMessage": {"timestamp": 1700000000000, "message": "Hallo", "expiresInSeconds": 0},
        },
        "account": "+499999",
    }
    (msg,) = parse("signal", data)
    assert (msg.kind, msg.text, msg.external_id) == ("text", "Hallo", "+491234:1700000000000")
    data["envelope"].pop("dataMessage")
    data["envelope"]["receiptMessage"] = {"isDelivery": True}
    assert parse("signal", data) == []


def test_email_threading_and_multipart():
    assert thread_of("<c@x>", "<b@x>", "<a@x> <b@x>") == "<a@x>"
    assert thread_of("<b@x>", "<a@x>", "") == "<a@x>"
    assert thread_of("<a@x>", "", "") == "<a@x>"
    fields = payloads.mailgun_fields(
        "k", "tok", **{"In-Reply-To": "<root@x>", "References": "<root@x>"}
    )
    boundary = "XyZ"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachment-1"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nfile\r\n--{boundary}--\r\n"
    )
    body = "".join(parts).encode()
    (mail,) = EmailAdapter().parse(req(body, f"multipart/form-data; boundary={boundary}"))
    assert mail.thread_id == "<root@x>" and mail.sender_id == "bob@example.com"
    assert mail.text == "When will my order arrive?"
    assert mail.context["subject"] == "Order question"
    assert "signature" not in mail.raw
    with pytest.raises(BadRequest):
        EmailAdapter().parse(req(b"--nope", "multipart/form-data; boundary=zzz"))


@pytest.mark.parametrize("body", [b"{", b"[1,2]", b"\xff\xfe", b'{"entry": [1, "x"]'])
def test_malformed_json_is_bad_request(body: bytes):
    for type_ in ("whatsapp", "telegram", "signal", "messenger"):
        with pytest.raises(BadRequest):
            ADAPTERS[type_].parse(req(body))


MENU = [Button(id=f"b{i}", title=f"Choice number {i}") for i in range(1, 5)]


def test_degradation_order_whatsapp():
    caps = ADAPTERS["whatsapp"].capabilities
    three, steps = degrade(Reply(text="Pick", buttons=MENU[:3]), caps)
    assert len(three.buttons) == 3 and steps == []
    four, steps = degrade(Reply(text="Pick", buttons=MENU), caps)
    assert steps == ["buttons_to_list"] and len(four.rows) == 4 and not four.buttons
    rows = [ListRow(id=str(i), title=f"Row {i}") for i in range(11)]
    many, steps = degrade(Reply(text="Pick", rows=rows), caps)
    assert steps == ["list_to_numbered_text"] and many.text.endswith("11. Row 10")
    long, steps = degrade(Reply(text="Pick", buttons=[Button(id="x", title="A" * 30)]), caps)
    assert steps == ["button_title_cut"] and len(long.buttons[0].title) == 20


def test_degradation_sms_numbered_text_and_links():
    caps = ADAPTERS["twilio"].capabilities
    reply = Reply(
        text="Pick",
        buttons=MENU[:2],
        location=Location(latitude=1.5, longitude=2.5, name="Shop"),
    )
    fitted, steps = degrade(reply, caps)
    assert steps == ["buttons_to_numbered_text", "location_to_link"]
    assert fitted.text.startswith("Pick\n\n1. Choice number 1\n2. Choice number 2")
    assert "maps.google.com/?q=1.5,2.5" in fitted.text
    media = Reply(text="Manual", media=OutboundMedia(kind="document", url="https://x/m.pdf"))
    fitted, steps = degrade(media, ADAPTERS["slack"].capabilities)
    assert steps == ["media_to_link"] and fitted.text.endswith("https://x/m.pdf")


def test_a_template_is_sent_where_the_channel_has_templates_else_its_text():
    template = Template(name="order_update", language="en_GB", parameters=["Ann", "#123"])
    reply = Reply(text="Hi Ann, order #123 has shipped.", template=template)
    target = Target("16505551234", "16505551234")
    fitted, steps = degrade(reply, ADAPTERS["whatsapp"].capabilities)
    assert steps == []
    assert ADAPTERS["whatsapp"].render(fitted, target) == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "template",
            "template": {
                "name": "order_update",
                "language": {"code": "en_GB"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Ann"},
                            {"type": "text", "text": "#123"},
                        ],
                    }
                ],
            },
        }
    ]
    fitted, steps = degrade(reply, ADAPTERS["telegram"].capabilities)
    assert steps == ["template_to_text"] and fitted.template is None
    assert ADAPTERS["telegram"].render(fitted, target)[0]["text"] == reply.text
    for bad in ({"name": "Order Update"}, {"name": "x", "language": "english"}):
        with pytest.raises(ValidationError):
            Template.model_validate(bad)


def test_a_template_header_and_buttons_become_their_components():
    template = Template(
        name="delivery_slot",
        parameters=["Ann"],
        header=TemplateHeader(kind="image", url="https://shop.example/van.jpg"),
        buttons=[
            TemplateButton(kind="quick_reply", index=0, value="slot-confirm"),
            TemplateButton(kind="url", index=1, value="orders/123"),
        ],
    )
    reply = Reply(text="Ann, pick a delivery slot.", template=template)
    (sent,) = ADAPTERS["whatsapp"].render(reply, Target("16505551234", "16505551234"))
    assert sent["template"]["components"] == [
        {
            "type": "header",
            "parameters": [{"type": "image", "image": {"link": "https://shop.example/van.jpg"}}],
        },
        {"type": "body", "parameters": [{"type": "text", "text": "Ann"}]},
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "slot-confirm"}],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "1",
            "parameters": [{"type": "text", "text": "orders/123"}],
        },
    ]
    text_header = Template(name="x", header=TemplateHeader(kind="text", text="#123"))
    (sent,) = ADAPTERS["whatsapp"].render(Reply(text="x", template=text_header), Target("1", "1"))
    assert sent["template"]["components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": "#123"}]}
    ]
    bad_headers = (
        {"kind": "text"},
        {"kind": "image", "text": "x"},
        {"kind": "image", "url": "https://x/y.jpg", "filename": "y.jpg"},
        {"kind": "text", "text": "x" * 61},
    )
    for bad in bad_headers:
        with pytest.raises(ValidationError):
            TemplateHeader.model_validate(bad)
    twice = [{"kind": "url", "index": 0, "value": "a"}, {"kind": "url", "index": 0, "value": "b"}]
    with pytest.raises(ValidationError):
        Template.model_validate({"name": "x", "buttons": twice})


def test_a_message_tag_goes_where_the_channel_takes_it_and_is_dropped_elsewhere():
    target = Target("PSID1", "PSID1", {})
    update = Reply(text="Your parcel left the warehouse.", tag="POST_PURCHASE_UPDATE")
    fitted, steps = degrade(update, ADAPTERS["messenger"].capabilities)
    assert steps == [] and fitted.tag == "POST_PURCHASE_UPDATE"
    (sent,) = ADAPTERS["messenger"].render(fitted, target)
    assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "POST_PURCHASE_UPDATE")
    for other in ("instagram", "whatsapp", "telegram"):  # Instagram takes HUMAN_AGENT only
        fitted, steps = degrade(update, ADAPTERS[other].capabilities)
        assert steps == ["tag_dropped"] and fitted.tag is None
    agent = Reply(text="Sorry for the wait!", tag="HUMAN_AGENT")
    fitted, steps = degrade(agent, ADAPTERS["instagram"].capabilities)
    assert steps == [] and ADAPTERS["instagram"].render(fitted, target)[0]["tag"] == "HUMAN_AGENT"
    with pytest.raises(ValidationError):
        Reply(text="x", tag="MARKETING")


def test_render_formats():
    target = Target("1111111", "1111111", {"callback_query_id": "cq1"})
    wa = ADAPTERS["whatsapp"].render(Reply(text="Pick", buttons=MENU[:3]), target)
    assert wa[0]["type"] == "interactive" and wa[0]["interactive"]["type"] == "button"
    assert len(wa[0]["interactive"]["action"]["buttons"]) == 3
    wa_list = ADAPTERS["whatsapp"].render(
        Reply(text="Pick", rows=[ListRow(id="a", title="A")]), target
    )
    assert wa_list[0]["interactive"]["type"] == "list"
    tg = ADAPTERS["telegram"].render(Reply(text="Pick", buttons=MENU[:2]), target)
    assert tg[0] == {"method": "answerCallbackQuery", "callback_query_id": "cq1"}
    assert tg[1]["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "b2"
    slack = ADAPTERS["slack"].render(Reply(text="Pick", buttons=MENU[:2]), Target("C1", "U1"))
    assert [b["type"] for b in slack[0]["blocks"]] == ["section", "actions"]
    mail = ADAPTERS["email"].render(
        Reply(text="Line <1>\n\nLine 2"),
        Target("<root@x>", "bob@example.com", {"subject": "Order", "message_id": "<m@x>"}),
    )
    assert mail[0]["subject"] == "Re: Order" and mail[0]["in_reply_to"] == "<m@x>"
    assert "<p>Line &lt;1&gt;</p><p>Line 2</p>" in mail[0]["html"]
    sms = ADAPTERS["twilio"].render(Reply(text="hi"), Target("+1555", "+1555"))
    assert sms == [{"To": "+1555", "Body": "hi"}]
