"""Our verifiers agree with the providers' own libraries on genuine and tampered requests."""

from __future__ import annotations

import time

import pytest
from mailgun.security import SecurityGuard
from pywa.utils import webhook_updates_validator
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from frontdesk.channels.email import EmailAdapter, mailgun_signature
from frontdesk.channels.meta import meta_signature
from frontdesk.channels.protocol import WebhookRequest
from frontdesk.channels.registry import ADAPTERS
from frontdesk.channels.slack import slack_signature
from frontdesk.channels.twilio import twilio_signature
from frontdesk.core.errors import Unauthorized
from tests.channels import payloads


def request(
    body: bytes,
    headers: dict[str, str],
    url: str = "https://x/y",
    method: str = "POST",
    query: dict[str, str] | None = None,
    now: float | None = None,
) -> WebhookRequest:
    return WebhookRequest(
        method=method,
        url=url,
        headers={k.lower(): v for k, v in headers.items()},
        query=query or {},
        body=body,
        now=time.time() if now is None else now,
    )


BODIES = [b"", b"{}", payloads.dumps(payloads.whatsapp_text()), "é\u2028🙂".encode()]


@pytest.mark.parametrize("body", BODIES)
def test_meta_signature_agrees_with_pywa(body: bytes):
    secret = "6ce2a4f1e7d3b2a1"
    ours = meta_signature(secret, body)
    assert webhook_updates_validator(secret, body, ours)
    assert not webhook_updates_validator(secret, body + b" ", ours)
    adapter = ADAPTERS["whatsapp"]
    adapter.verify(request(body, {"X-Hub-Signature-256": ours}), {"app_secret": secret})
    for bad in (body + b" ", b"x" + body):
        assert not webhook_updates_validator(secret, bad, ours)
        with pytest.raises(Unauthorized):
            adapter.verify(request(bad, {"X-Hub-Signature-256": ours}), {"app_secret": secret})
    with pytest.raises(Unauthorized, match="missing"):
        adapter.verify(request(body, {}), {"app_secret": secret})
    with pytest.raises(Unauthorized):
        adapter.verify(request(body, {"X-Hub-Signature-256": ours}), {"app_secret": "other"})


@pytest.mark.parametrize("body", BODIES)
def test_slack_signature_agrees_with_slack_sdk(body: bytes):
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    now = int(time.time())
    verifier = SignatureVerifier(secret)
    assert slack_signature(secret, str(now), body) == verifier.generate_signature(
        timestamp=str(now), body=body
    )
    headers = payloads.slack_headers(secret, body, now)
    assert verifier.is_valid_request(body, headers)
    ADAPTERS["slack"].verify(request(body, headers), {"signing_secret": secret})
    tampered = body + b"!"
    assert not verifier.is_valid_request(tampered, headers)
    with pytest.raises(Unauthorized, match="does not match"):
        ADAPTERS["slack"].verify(request(tampered, headers), {"signing_secret": secret})


def test_slack_stale_timestamp_refused_like_slack_sdk():
    secret = "s3cr3t"
    body = b'{"type":"event_callback"}'
    stale = int(time.time()) - 301
    headers = payloads.slack_headers(secret, body, stale)
    assert not SignatureVerifier(secret).is_valid_request(body, headers)
    with pytest.raises(Unauthorized, match="5-minute"):
        ADAPTERS["slack"].verify(request(body, headers), {"signing_secret": secret})
    future = payloads.slack_headers(secret, body, int(time.time()) + 400)
    with pytest.raises(Unauthorized, match="5-minute"):
        ADAPTERS["slack"].verify(request(body, future), {"signing_secret": secret})


def test_twilio_documented_example_signature():
    """Twilio's docs: token 12345 and this URL and form sign to 0/KCTR6DLpKmkAf8muzZqo1nDgQ=."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    expected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert RequestValidator("12345").compute_signature(url, params) == expected
    assert twilio_signature("12345", url, params) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"MessageSid": "SM1", "From": "+15551234567", "Body": "hi"},
        {"MessageSid": "SM2", "From": "whatsapp:+1555", "Body": "é & = ? 🙂", "NumMedia": "0"},
    ],
)
def test_twilio_verifier_agrees_with_request_validator(params: dict[str, str]):
    token = "a1b2c3d4e5"
    url = "https://frontdesk.example.com/webhooks/acme/ch1"
    body, headers = payloads.twilio_request(token, url, params)
    oracle = RequestValidator(token)
    assert oracle.validate(url, params, headers["X-Twilio-Signature"])
    ADAPTERS["twilio"].verify(request(body, headers, url=url), {"auth_token": token})
    for bad_url, bad_params in (
        (url + "x", params),
        (url, {**params, "Body": params["Body"] + "!"}),
    ):
        assert not oracle.validate(bad_url, bad_params, headers["X-Twilio-Signature"])
        from urllib.parse import urlencode

        with pytest.raises(Unauthorized):
            ADAPTERS["twilio"].verify(
                request(urlencode(bad_params).encode(), headers, url=bad_url), {"auth_token": token}
            )


def test_mailgun_signature_agrees_with_mailgun_sdk():
    key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
    token = "2b90a03befc0b98ae2b641b0080850cada918a2d2f670e0141"
    ts = str(int(time.time()))
    ours = mailgun_signature(key, ts, token)
    assert SecurityGuard.verify_webhook(key, token, ts, ours)
    assert not SecurityGuard.verify_webhook(key, token + "x", ts, ours)
    adapter = EmailAdapter()
    fields = payloads.mailgun_fields(key, token, int(ts))
    from urllib.parse import urlencode

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    adapter.verify(request(urlencode(fields).encode(), headers), {"signing_key": key})
    with pytest.raises(Unauthorized, match="replay"):  # the same token twice
        adapter.verify(request(urlencode(fields).encode(), headers), {"signing_key": key})
    bad = {**fields, "token": token[::-1]}
    assert not SecurityGuard.verify_webhook(key, bad["token"], ts, bad["signature"])
    with pytest.raises(Unauthorized, match="does not match"):
        adapter.verify(request(urlencode(bad).encode(), headers), {"signing_key": key})
    old = payloads.mailgun_fields(key, "t" * 50, int(ts) - 3600)
    with pytest.raises(Unauthorized, match="window"):
        adapter.verify(request(urlencode(old).encode(), headers), {"signing_key": key})


def test_meta_handshake():
    adapter = ADAPTERS["whatsapp"]
    creds = {"verify_token": "tok-123", "app_secret": "s"}
    query = {"hub.mode": "subscribe", "hub.verify_token": "tok-123", "hub.challenge": "1158201444"}
    answer = adapter.handshake(request(b"", {}, method="GET", query=query), creds)
    assert answer is not None and answer.body == b"1158201444"
    with pytest.raises(Unauthorized, match="verify_token"):
        adapter.handshake(
            request(b"", {}, method="GET", query={**query, "hub.verify_token": "nope"}), creds
        )


def test_telegram_and_signal_secret_headers():
    telegram, signal = ADAPTERS["telegram"], ADAPTERS["signal"]
    telegram.verify(
        request(b"{}", {"X-Telegram-Bot-Api-Secret-Token": "abc"}), {"secret_token": "abc"}
    )
    signal.verify(request(b"{}", {"X-Frontdesk-Signal-Secret": "abc"}), {"shared_secret": "abc"})
    for adapter, header, creds in (
        (telegram, "X-Telegram-Bot-Api-Secret-Token", {"secret_token": "abc"}),
        (signal, "X-Frontdesk-Signal-Secret", {"shared_secret": "abc"}),
    ):
        with pytest.raises(Unauthorized, match="missing"):
            adapter.verify(request(b"{}", {}), creds)
        with pytest.raises(Unauthorized, match="does not match"):
            adapter.verify(request(b"{}", {header: "abd"}), creds)
