"""Transcription through the tenant's OpenAI-compatible provider, over real HTTP to a fake."""

from __future__ import annotations

from frontdesk.runtime import Runtime
from frontdesk.understanding.transforms.transcribe import Audio, transcribe
from tests.conftest import TenantCtx
from tests.llm.conftest import anthropic_entry, configure, openai_entry
from tests.llm.fake_provider import Reply
from tests.understanding.transforms.fake_audio import FakeAudioProvider

VOICE = b"OggS\x00\x02" + b"\x01" * 2000


async def test_audio_is_sent_as_multipart_and_its_text_returned(
    runtime: Runtime, tenant: TenantCtx, fake: FakeAudioProvider
):
    await configure(
        runtime,
        tenant.id,
        providers=[anthropic_entry(fake, "claude"), openai_entry(fake, "speech", "sk-audio-1")],
    )
    fake.script("speech", Reply.ok("  I would like a refund for order 4711. "))
    outcome = await transcribe(runtime, tenant.id, Audio(VOICE, None, "audio/ogg"))
    assert (outcome.status, outcome.text) == ("done", "I would like a refund for order 4711.")
    (call,) = fake.received("speech")
    assert call.path == "/speech/v1/audio/transcriptions"
    assert call.headers["authorization"] == "Bearer sk-audio-1"
    assert call.body["model"] == "whisper-1"
    assert call.body["file"] == {
        "filename": "audio.ogg",  # the API reads the format from the name
        "content_type": "audio/ogg",
        "data": VOICE,
    }
    assert not fake.received("claude")  # not OpenAI-compatible: never asked


async def test_a_refused_key_and_a_failing_provider_are_recorded_not_raised(
    runtime: Runtime, tenant: TenantCtx, fake: FakeAudioProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "speech")])
    fake.script("speech", Reply.error(401), Reply.error(500), Reply.malformed())
    audio = Audio(VOICE, "voice-note.ogg", "audio/ogg")
    refused = await transcribe(runtime, tenant.id, audio)
    assert (refused.status, refused.reason) == ("failed", "unauthorized")
    assert refused.error == "unauthorized: speech: HTTP 401, check its API key"
    failing = await transcribe(runtime, tenant.id, audio)
    assert (failing.status, failing.error) == ("failed", "provider_error: speech: HTTP 500")
    malformed = await transcribe(runtime, tenant.id, audio)
    assert malformed.error == "provider_error: speech: malformed response"
    assert [c.body["file"]["filename"] for c in fake.received("speech")] == ["voice-note.ogg"] * 3


async def test_without_an_openai_compatible_provider_it_is_not_configured(
    runtime: Runtime, tenant: TenantCtx, fake: FakeAudioProvider
):
    audio = Audio(VOICE, None, "audio/ogg")
    outcome = await transcribe(runtime, tenant.id, audio)
    assert (outcome.status, outcome.reason) == ("not_configured", "not_configured")
    await configure(runtime, tenant.id, providers=[anthropic_entry(fake, "claude")])
    outcome = await transcribe(runtime, tenant.id, audio)
    assert outcome.status == "not_configured"
    assert not fake.requests


async def test_audio_over_the_cap_and_a_private_address_are_refused(
    runtime: Runtime, tenant: TenantCtx, fake: FakeAudioProvider
):
    runtime.settings.transcribe_max_bytes = 1024
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "speech")])
    outcome = await transcribe(runtime, tenant.id, Audio(VOICE, None, "audio/ogg"))
    assert (outcome.status, outcome.reason) == ("skipped", "too_large")
    runtime.settings.transcribe_max_bytes = 25 * 1024 * 1024
    inward = {
        "name": "inward",
        "kind": "openai",
        "api_key": "sk-x",
        "base_url": "http://10.1.2.3/v1",
    }
    await configure(runtime, tenant.id, providers=[inward])
    outcome = await transcribe(runtime, tenant.id, Audio(VOICE, None, "audio/ogg"))
    assert (outcome.status, outcome.reason) == ("failed", "unsafe_url")
    assert not fake.requests
