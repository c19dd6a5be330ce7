"""Webhook intake end to end: verification, dedupe, processing, and replies to the fake provider."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import pytest

from frontdesk.channels.canonical import Reply
from frontdesk.channels.directory import ChannelInfo
from frontdesk.channels.meta import graph_response
from frontdesk.channels.outbound import pace
from frontdesk.channels.protocol import ProviderError, Target
from frontdesk.conversations.models import Message
from frontdesk.core.clock import utcnow
from frontdesk.queue.base import RetryLater
from frontdesk.runtime import Runtime
from tests.channels import payloads
from tests.channels.conftest import PUBLIC_BASE
from tests.channels.fake_provider import FakeProvider, Scripted
from tests.channels.helpers import (
    create_channel,
    jobs_of,
    messages,
    path_of,
    raw_count,
    telegram_headers,
    wait_until,
)
from tests.conftest import TenantCtx
from tests.factories import SHIPPING_ANSWER


async def post_whatsapp(
    client: httpx.AsyncClient, channel: dict[str, Any], data: Any, secret: str | None = None
) -> httpx.Response:
    body = payloads.dumps(data)
    headers = payloads.meta_headers(secret or channel["secrets"]["app_secret"], body)
    return await client.post(path_of(channel), content=body, headers=headers)


async def sent_replies(runtime: Runtime, tenant_id: str, count: int) -> list[Any]:
    async def ready() -> list[Any]:
        out = [m for m in await messages(runtime, tenant_id) if m.direction == "out"]
        done = [m for m in out if m.status != "queued"]
        return done if len(done) >= count else []

    return await wait_until(ready)


async def test_signed_whatsapp_text_gets_a_whatsapp_reply_and_receipts(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "whatsapp")
    r = await post_whatsapp(client, channel, payloads.whatsapp_text())
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 1, "duplicates": 0}
    (sent,) = await fake.await_for(1)
    assert sent.path == "/106540352242922/messages"
    assert sent.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        "type": "text",
        "text": {"body": SHIPPING_ANSWER},
    }
    (reply,) = await sent_replies(runtime, tenant.id, 1)
    assert reply.status == "sent"
    assert reply.meta["provider_message_ids"][0].startswith("wamid.fake")
    receipt = payloads.whatsapp_value(
        {
            "statuses": [
                {
                    "id": reply.meta["provider_message_ids"][0],
                    "status": "read",
                    "timestamp": "1",
                    "recipient_id": "16505551234",
                }
            ]
        }
    )
    assert (await post_whatsapp(client, channel, receipt)).status_code == 200

    async def read() -> bool:
        out = [m for m in await messages(runtime, tenant.id) if m.direction == "out"]
        return out[0].status == "read"

    assert await wait_until(read)


async def test_telegram_button_press_answers_callback_then_replies(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "telegram")
    body = payloads.dumps(payloads.telegram_button())
    headers = telegram_headers(channel)
    r = await client.post(path_of(channel), content=body, headers=headers)
    assert r.status_code == 200, r.text
    ack, reply = await fake.await_for(2)
    assert ack.path == "/bot123456:ABC-DEF/answerCallbackQuery"
    assert ack.json == {"callback_query_id": "4382bfdwdsb323b2d9"}
    assert reply.path == "/bot123456:ABC-DEF/sendMessage"
    assert reply.json == {"chat_id": "1111111", "text": SHIPPING_ANSWER}


async def test_slack_message_gets_chat_post_message(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider, runtime: Runtime
):
    channel = await create_channel(client, tenant, "slack")
    secret = channel["secrets"]["signing_secret"]
    challenge = payloads.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    r = await client.post(
        path_of(channel), content=challenge, headers=payloads.slack_headers(secret, challenge)
    )
    assert r.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    bot = payloads.dumps(payloads.slack_message("EvBOT", bot_id="B0"))
    r = await client.post(
        path_of(channel), content=bot, headers=payloads.slack_headers(secret, bot)
    )
    assert r.status_code == 200
    body = payloads.dumps(payloads.slack_message())
    headers = {**payloads.slack_headers(secret, body), "X-Slack-Retry-Num": "1"}
    r = await client.post(path_of(channel), content=body, headers=headers)
    assert r.status_code == 200, r.text
    (sent,) = await fake.await_for(1)
    assert sent.path == "/chat.postMessage"
    assert sent.headers["authorization"] == "Bearer xoxb-1"
    assert sent.json == {"channel": "D024BE91L", "text": SHIPPING_ANSWER}
    assert await raw_count(runtime, tenant.id) == 1  # the bot's event was dropped


async def test_redelivered_five_times_is_stored_and_answered_once(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "whatsapp")
    data = payloads.whatsapp_text()
    first = await asyncio.gather(*(post_whatsapp(client, channel, data) for _ in range(3)))
    await fake.await_for(1)
    later = [await post_whatsapp(client, channel, data) for _ in range(2)]
    assert all(r.status_code == 200 for r in [*first, *later])
    assert sum(r.json()["accepted"] for r in [*first, *later]) == 1
    await asyncio.sleep(0.5)
    assert await raw_count(runtime, tenant.id) == 1
    assert len(fake.requests) == 1
    assert len([m for m in await messages(runtime, tenant.id) if m.direction == "out"]) == 1


async def test_twilio_sms_signed_over_public_url(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "twilio")
    params = {
        "MessageSid": "SM11",
        "AccountSid": "AC1",
        "From": "+15551230000",
        "To": "+15557654321",
        "Body": "Can I return an item?",
        "NumMedia": "0",
    }
    url = channel["webhook_url"]
    assert url.startswith(PUBLIC_BASE)
    body, headers = payloads.twilio_request("tw-auth-token", url, params)
    r = await client.post(path_of(channel), content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml") and "<Response>" in r.text
    (sent,) = await fake.await_for(1)
    assert sent.path == "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
    assert sent.form == {
        "To": "+15551230000",
        "Body": "You can return items within 30 days.",
        "From": "+15557654321",
    }
    assert sent.headers["authorization"].startswith("Basic ")


async def test_signal_via_gateway(client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider):
    channel = await create_channel(
        client, tenant, "signal", config={"gateway_url": fake.url, "number": "+499999"}
    )
    data = {
        "envelope": {
            "source": "+491234",
            "sourceNumber": "+491234",
            "timestamp": 1,
            "dataMessage": {"timestamp": 1, "message": "When will my order arrive?"},
        },
        "account": "+499999",
    }
    headers = {
        "Content-Type": "application/json",
        "X-Frontdesk-Signal-Secret": channel["secrets"]["shared_secret"],
    }
    r = await client.post(path_of(channel), content=payloads.dumps(data), headers=headers)
    assert r.status_code == 200, r.text
    (sent,) = await fake.await_for(1)
    assert sent.path == "/v2/send"
    assert sent.json == {"message": SHIPPING_ANSWER, "recipients": ["+491234"], "number": "+499999"}


async def test_email_in_by_mailgun_out_by_smtp(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received: list[Any] = []

    class Keep(MessageHandler):
        def handle_message(self, message: Any) -> None:
            received.append(message)

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = await create_channel(
            client,
            tenant,
            "email",
            config={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "from_address": "support@shop.example",
            },
        )
        from urllib.parse import urlencode

        fields = payloads.mailgun_fields(
            "mg-signing-key",
            "tok" + str(time.time_ns()),
            **{"References": "<root@mail.example.com>", "In-Reply-To": "<root@mail.example.com>"},
        )
        r = await client.post(
            path_of(channel),
            content=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        (mail,) = received
        assert mail["To"] == "bob@example.com" and mail["Subject"] == "Re: Order question"
        assert mail["In-Reply-To"] == "<CAF=abc123@mail.example.com>"
        assert mail["References"] == "<root@mail.example.com> <CAF=abc123@mail.example.com>"
        kinds = {part.get_content_type() for part in mail.walk()}
        assert {"text/plain", "text/html"} <= kinds
    finally:
        controller.stop()


async def test_unsupported_type_is_kept_and_answered_politely(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "whatsapp")
    data = payloads.whatsapp_message("unsupported", {}, "wamid.U")
    data["entry"][0]["changes"][0]["value"]["messages"][0]["errors"] = [
        {"code": 131051, "title": "Message type unknown"}
    ]
    assert (await post_whatsapp(client, channel, data)).status_code == 200
    (sent,) = await fake.await_for(1)
    assert "can't read this kind of message" in sent.json["text"]["body"]
    inbound = [m for m in await messages(runtime, tenant.id) if m.direction == "in"][0]
    assert inbound.content["kind"] == "unknown"


async def test_reaction_is_recorded_without_reply(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "whatsapp")
    data = payloads.whatsapp_message(
        "reaction", {"message_id": "wamid.OUT", "emoji": "👍"}, "wamid.R"
    )
    assert (await post_whatsapp(client, channel, data)).status_code == 200

    async def recorded() -> list[Any]:
        return await messages(runtime, tenant.id)

    (msg,) = await wait_until(recorded)
    assert msg.content["reaction"] == "👍"
    await asyncio.sleep(0.3)
    assert fake.requests == []


# ---- bad input ----


async def test_unverified_requests_are_401_and_store_nothing(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    wa = await create_channel(client, tenant, "whatsapp")
    slack = await create_channel(client, tenant, "slack")
    tg = await create_channel(client, tenant, "telegram")
    body = payloads.dumps(payloads.whatsapp_text())
    sbody = payloads.dumps(payloads.slack_message())
    cases = [
        (wa, body, {"Content-Type": "application/json"}, "missing X-Hub-Signature-256"),
        (wa, body, payloads.meta_headers("wrong-secret", body), "does not match"),
        (wa, body + b" ", payloads.meta_headers("wa-app-secret", body), "does not match"),
        (
            slack,
            sbody,
            payloads.slack_headers("slack-signing-secret", sbody, int(time.time()) - 600),
            "5-minute",
        ),
        (slack, sbody, payloads.slack_headers("nope", sbody), "does not match"),
        (
            tg,
            b"{}",
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "guess"},
            "does not match",
        ),
    ]
    for channel, content, headers, reason in cases:
        r = await client.post(path_of(channel), content=content, headers=headers)
        assert r.status_code == 401, (reason, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert reason in r.json()["detail"]
    assert await raw_count(runtime, tenant.id) == 0


async def test_meta_subscription_handshake(client: httpx.AsyncClient, tenant: TenantCtx):
    wa = await create_channel(client, tenant, "whatsapp")
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": wa["verify_token"],
    }
    r = await client.get(path_of(wa), params=query)
    assert r.status_code == 200 and r.text == "1158201444"
    r = await client.get(path_of(wa), params={**query, "hub.verify_token": "wrong"})
    assert r.status_code == 401
    tg = await create_channel(client, tenant, "telegram")
    assert (await client.get(path_of(tg))).status_code == 404


async def test_malformed_bodies_and_types(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    wa = await create_channel(client, tenant, "whatsapp")
    tw = await create_channel(client, tenant, "twilio")
    for body in (b'{"entry": [', b"not json", b"\xff\xfe"):
        r = await client.post(
            path_of(wa), content=body, headers=payloads.meta_headers("wa-app-secret", body)
        )
        assert r.status_code == 400, r.text
    bad_field = payloads.dumps(
        payloads.whatsapp_message("location", {"latitude": 999, "longitude": 0})
    )
    r = await client.post(
        path_of(wa), content=bad_field, headers=payloads.meta_headers("wa-app-secret", bad_field)
    )
    assert r.status_code == 400 and "location" in r.json()["detail"]
    r = await client.post(path_of(wa), content=b"a=b", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    truncated = b"MessageSid=SM1&From=%2B1555&Body"
    r = await client.post(
        path_of(tw),
        content=truncated,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert r.status_code == 400
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    r = await client.post(
        path_of(wa), content=big, headers=payloads.meta_headers("wa-app-secret", big)
    )
    assert r.status_code == 413
    assert await raw_count(runtime, tenant.id) == 0


async def test_unknown_disabled_or_foreign_channel_is_404(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
):
    wa = await create_channel(client, tenant, "whatsapp")
    body = payloads.dumps(payloads.whatsapp_text())
    headers = payloads.meta_headers("wa-app-secret", body)
    for url in (
        f"/webhooks/nope/{wa['id']}",
        "/webhooks/acme/nope",
        f"/webhooks/{other_tenant.slug}/{wa['id']}",
    ):
        r = await client.post(url, content=body, headers=headers)
        assert r.status_code == 404, url
    webchat = (await client.get("/api/v1/channels", headers=tenant.headers)).json()[0]
    r = await client.post(f"/webhooks/acme/{webchat['id']}", content=b"{}", headers=headers)
    assert r.status_code == 404
    await client.post(f"/api/v1/channels/{wa['id']}/disable", headers=tenant.headers)
    assert (await client.post(path_of(wa), content=body, headers=headers)).status_code == 404


async def test_rate_limited_per_channel(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    wa = await create_channel(client, tenant, "whatsapp")
    runtime.settings.webhook_burst_per_channel = 2
    runtime.settings.webhook_rate_per_channel = 0.5
    codes = []
    for i in range(3):
        codes.append(
            (await post_whatsapp(client, wa, payloads.whatsapp_text(f"wamid.{i}"))).status_code
        )
    assert codes == [200, 200, 429]
    r = await post_whatsapp(client, wa, payloads.whatsapp_text("wamid.9"))
    assert int(r.headers["retry-after"]) >= 1


# ---- outbound failures ----


async def test_provider_429_is_retried_after_retry_after(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "whatsapp")
    fake.script.append(Scripted(status=429, headers={"Retry-After": "1"}))
    started = time.monotonic()
    await post_whatsapp(client, channel, payloads.whatsapp_text())
    (reply,) = await sent_replies(runtime, tenant.id, 1)
    assert reply.status == "sent"
    assert len(fake.requests) == 2
    assert time.monotonic() - started >= 0.9


async def test_meta_throttling_answered_with_400_is_retried_not_refused(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    """Graph API rate limits come as HTTP 400 with an error code: the send is retried."""
    channel = await create_channel(client, tenant, "whatsapp")
    throttled = {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException"}}
    throttled["error"]["code"] = 130429
    fake.script.append(Scripted(status=400, body=throttled))
    await post_whatsapp(client, channel, payloads.whatsapp_text())
    (reply,) = await sent_replies(runtime, tenant.id, 1)
    assert reply.status == "sent"
    assert len(fake.requests) == 2


def test_graph_errors_map_to_retry_or_refusal():
    def answer(status: int, body: Any) -> httpx.Response:
        return httpx.Response(status, json=body)

    pair = {"error": {"code": 131056, "message": "(#131056) pair rate limit hit"}}
    with pytest.raises(ProviderError) as caught:
        graph_response(answer(400, pair), "whatsapp")
    assert caught.value.retry_after == 6.0 and "pair rate limit" in caught.value.detail
    with pytest.raises(ProviderError) as caught:
        graph_response(answer(400, {"error": {"code": 100, "message": "bad param"}}), "whatsapp")
    assert caught.value.retry_after is None  # refused: retrying cannot help
    with pytest.raises(ProviderError) as caught:
        graph_response(httpx.Response(400, text="<html>"), "messenger")
    assert caught.value.retry_after is None
    assert graph_response(answer(200, {"message_id": "m1"}), "messenger") == {"message_id": "m1"}


async def test_whatsapp_sends_are_paced_per_customer_and_per_number(runtime: Runtime):
    info = ChannelInfo(id="ch-1", tenant_id="t", type="whatsapp", name="wa", enabled=True)
    for _ in range(10):  # Meta lets a burst borrow ahead
        await pace(runtime, info, Target("16505551234", "16505551234", {}))
    with pytest.raises(RetryLater) as caught:
        await pace(runtime, info, Target("16505551234", "16505551234", {}))
    assert 5.0 < caught.value.delay <= 6.0 and "(chat)" in str(caught.value)
    allowed = 0  # other customers are not held back, up to 80 per second per number
    with pytest.raises(RetryLater) as caught:
        for n in range(200):
            await pace(runtime, info, Target(f"1650{n}", f"1650{n}", {}))
            allowed += 1
    assert 70 <= allowed < 80 and "(channel)" in str(caught.value)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (Scripted(status=500), "whatsapp answered 500 (gave up after 3 attempts)"),
        (Scripted(hang=3.0), "whatsapp did not answer within 1.0 s (gave up after 3 attempts)"),
        (
            Scripted(status=400, body={"error": {"message": "bad number"}}),
            "whatsapp refused the message: 400",
        ),
    ],
)
async def test_provider_failure_ends_in_dead_letter_with_reason(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    runtime: Runtime,
    fake: FakeProvider,
    script: Scripted,
    reason: str,
):
    channel = await create_channel(client, tenant, "whatsapp")
    fake.script.extend([script] * 3)
    await post_whatsapp(client, channel, payloads.whatsapp_text())

    async def dead() -> list[Any]:
        return [j for j in await jobs_of(runtime, "channel.send") if j.status == "dead"]

    (job,) = await wait_until(dead, timeout=20)
    assert reason in (job.last_error or "")
    (reply,) = await sent_replies(runtime, tenant.id, 1)
    assert reply.status == "failed" and reason.split(" (")[0] in reply.meta["error"]
    r = await client.get(f"/api/v1/queue/dead-letters/{job.id}", headers=tenant.headers)
    assert r.status_code == 200 and reason in r.json()["last_error"]


async def test_send_is_not_repeated_when_already_sent(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    """A retried send job (e.g. its lease was lost after the send committed) sends nothing."""
    channel = await create_channel(client, tenant, "whatsapp")
    await post_whatsapp(client, channel, payloads.whatsapp_text())
    (reply,) = await sent_replies(runtime, tenant.id, 1)
    from frontdesk.channels.outbound import send_job

    async with runtime.db.tenant_tx(tenant.id) as session:
        await runtime.queue.enqueue(session, send_job(tenant.id, reply.conversation_id, reply.id))
    runtime.wake_workers()

    async def done() -> bool:
        return all(j.status == "done" for j in await jobs_of(runtime, "channel.send"))

    assert await wait_until(done)
    assert len(fake.requests) == 1
    assert Reply  # the canonical reply model is what the job renders


async def queue_agent_message(
    runtime: Runtime,
    tenant_id: str,
    conversation_id: str,
    text: str,
    sender: str = "agent",
    **content: Any,
) -> str:
    """An agent's (or ``sender``'s) message queued for sending, with its send job; its id."""
    from frontdesk.channels.outbound import send_job

    async with runtime.db.tenant_tx(tenant_id) as session:
        message = Message(
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            direction="out",
            sender=sender,
            text=text,
            content=content,
            status="queued",
        )
        session.add(message)
        await session.flush()
        await runtime.queue.enqueue(session, send_job(tenant_id, conversation_id, message.id))
    runtime.wake_workers()
    return message.id


async def test_free_text_outside_the_24h_window_is_refused_but_a_template_goes(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    from datetime import timedelta

    from sqlalchemy import update

    channel = await create_channel(client, tenant, "whatsapp")
    await post_whatsapp(client, channel, payloads.whatsapp_text())
    (reply,) = await sent_replies(runtime, tenant.id, 1)
    async with runtime.db.tenant_tx(tenant.id) as session:
        await session.execute(
            update(Message)
            .where(Message.direction == "in")
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    late = await queue_agent_message(runtime, tenant.id, reply.conversation_id, "Following up")

    async def dead() -> list[Any]:
        return [j for j in await jobs_of(runtime, "channel.send") if j.status == "dead"]

    (job,) = await wait_until(dead)
    assert "24-hour window" in (job.last_error or "")
    assert len(fake.requests) == 1
    failed = [m for m in await messages(runtime, tenant.id) if m.id == late][0]
    assert failed.status == "failed" and "template" in failed.meta["error"]

    # An approved template is what may go out after the window: it is sent.
    template = {"name": "order_shipped", "language": "en_US"}
    await queue_agent_message(
        runtime, tenant.id, reply.conversation_id, "Your order has shipped.", template=template
    )
    sent = (await fake.await_for(2))[1]
    assert sent.json["type"] == "template"
    assert sent.json["template"] == {"name": "order_shipped", "language": {"code": "en_US"}}


async def test_messenger_past_the_window_takes_a_message_tag(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    from datetime import timedelta

    from sqlalchemy import update

    channel = await create_channel(client, tenant, "messenger")
    data = payloads.messenger_message({"mid": "m_in_1", "text": "When will my order arrive?"})
    assert (await post_whatsapp(client, channel, data)).status_code == 200
    (reply,) = await sent_replies(runtime, tenant.id, 1)
    assert fake.requests[0].json["messaging_type"] == "RESPONSE"  # inside the window: no tag

    async def customer_wrote(days: int) -> None:
        async with runtime.db.tenant_tx(tenant.id) as session:
            await session.execute(
                update(Message)
                .where(Message.direction == "in")
                .values(created_at=utcnow() - timedelta(days=days))
            )

    async def outcome(message_id: str) -> Message:
        async def settled() -> list[Message]:
            found = [m for m in await messages(runtime, tenant.id) if m.id == message_id]
            return found if found and found[0].status != "queued" else []

        (message,) = await wait_until(settled)
        return message

    await customer_wrote(days=3)
    conversation = reply.conversation_id
    # A person's answer 3 days on goes, tagged HUMAN_AGENT by itself.
    agent = await queue_agent_message(runtime, tenant.id, conversation, "Sorry for the wait!")
    assert (await outcome(agent)).status == "sent"
    assert fake.requests[-1].json["messaging_type"] == "MESSAGE_TAG"
    assert fake.requests[-1].json["tag"] == "HUMAN_AGENT"
    # The bot's free text does not; a tagged update does.
    bot = await queue_agent_message(runtime, tenant.id, conversation, "Hello?", sender="bot")
    refused = await outcome(bot)
    assert refused.status == "failed" and "24-hour window" in refused.meta["error"]
    assert (
        "HUMAN_AGENT" in refused.meta["error"] and "POST_PURCHASE_UPDATE" in refused.meta["error"]
    )
    update_ = await queue_agent_message(
        runtime, tenant.id, conversation, "Shipped!", sender="bot", tag="POST_PURCHASE_UPDATE"
    )
    assert (await outcome(update_)).status == "sent"
    assert fake.requests[-1].json["tag"] == "POST_PURCHASE_UPDATE"
    # Past 7 days, a person's answer is refused too.
    await customer_wrote(days=8)
    late = await queue_agent_message(runtime, tenant.id, conversation, "Still there?")
    failed = await outcome(late)
    assert failed.status == "failed" and "7-day window" in failed.meta["error"]
    assert len([r for r in fake.requests if r.path == "/me/messages"]) == 3


async def test_telegram_sends_are_paced_per_chat(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "telegram")
    headers = telegram_headers(channel)
    started = time.monotonic()
    for i in range(5):
        body = payloads.dumps(payloads.telegram_text(20000 + i, "When will my order arrive?"))
        assert (
            await client.post(path_of(channel), content=body, headers=headers)
        ).status_code == 200
    sent = await fake.await_for(5, timeout=20)
    assert len(sent) == 5
    # A burst of 3, then about one a second: the last two wait for the bucket.
    assert time.monotonic() - started >= 1.0

    async def all_done() -> bool:
        sends = await jobs_of(runtime, "channel.send")
        return len(sends) == 5 and all(j.status == "done" for j in sends)

    assert await wait_until(all_done)
    # Waiting for the bucket is no failed attempt: none spent more than the one that sent.
    assert {j.attempts for j in await jobs_of(runtime, "channel.send")} == {1}


async def test_an_agents_reply_goes_out_through_the_provider(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    """Telegram: the customer writes, an agent claims and replies, the provider gets it."""
    from frontdesk.core.auth import Role
    from tests.factories import login, make_member

    channel = await create_channel(client, tenant, "telegram")
    headers = telegram_headers(channel)
    body = payloads.dumps(payloads.telegram_button())
    assert (await client.post(path_of(channel), content=body, headers=headers)).status_code == 200
    await fake.await_for(2)  # the callback answer and the bot's reply
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()

    await make_member(runtime.db, tenant.id, "agent@shop.example", Role.AGENT)
    csrf = await login(client, tenant.slug, "agent@shop.example")
    url = f"/api/v1/conversations/{conversation['id']}"
    assert (await client.post(f"{url}/claim", headers=csrf)).status_code == 200
    r = await client.post(f"{url}/reply", headers=csrf, json={"text": "Hi, Sam from support"})
    assert r.status_code == 201 and r.json()["status"] == "queued"

    *_, sent = await fake.await_for(3)
    assert sent.path == "/bot123456:ABC-DEF/sendMessage"
    assert sent.json == {"chat_id": "1111111", "text": "Hi, Sam from support"}


async def test_provider_secrets_in_urls_never_reach_the_logs(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    fake: FakeProvider,
    caplog: pytest.LogCaptureFixture,
):
    """Telegram's bot token is part of every API URL: the HTTP client's request logs omit it."""
    caplog.set_level(logging.DEBUG)
    channel = await create_channel(client, tenant, "telegram")
    body = payloads.dumps(payloads.telegram_text())
    headers = telegram_headers(channel)
    r = await client.post(path_of(channel), content=body, headers=headers)
    assert r.status_code == 200
    (sent,) = await fake.await_for(1)
    assert sent.path == "/bot123456:ABC-DEF/sendMessage"
    logging.getLogger("tests.probe").debug("probe")
    assert "probe" in caplog.text  # DEBUG records are captured
    assert "123456:ABC-DEF" not in caplog.text
