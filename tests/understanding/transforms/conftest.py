"""Transform fixtures: one fake provider per session (LLM, transcription, file host), images."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import pytest

from frontdesk.settings import Settings
from tests.llm.conftest import FAST
from tests.understanding.transforms.fake_audio import FakeAudioProvider

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeAudioProvider]:
    server = FakeAudioProvider().start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server: FakeAudioProvider) -> FakeAudioProvider:
    fake_server.reset()
    return fake_server


@pytest.fixture
def settings(settings: Settings, fake_server: FakeAudioProvider) -> Settings:
    """The shared settings, the fake allowed through the SSRF guard, quick retries."""
    return settings.model_copy(
        update={
            **FAST,
            "http_allowed_hosts": [fake_server.host],
            "http_timeout_seconds": 2.0,
            "queue_max_attempts": 2,
            "queue_backoff_base_seconds": 0.05,
            "queue_backoff_max_seconds": 0.1,
        }
    )


def png_with(text: str, size: tuple[int, int] = (1000, 160)) -> bytes:
    """A PNG of ``text`` in large black DejaVu Sans on white."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", size, 255)
    ImageDraw.Draw(image).text((30, 45), text, font=ImageFont.truetype(FONT, 52), fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def declaring(png: bytes, width: int, height: int) -> bytes:
    """``png`` with a header that declares ``width`` × ``height`` (a decompression bomb's)."""
    data = struct.pack(">II", width, height) + png[24:29]
    chunk = b"IHDR" + data
    return png[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + png[33:]
