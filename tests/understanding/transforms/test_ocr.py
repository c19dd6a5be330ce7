"""OCR of images and PDFs: known text read back, every hostile or wrong file a clear outcome."""

from __future__ import annotations

import io

from frontdesk.understanding.transforms.ocr import OcrLimits, ocr, read_image, read_pdf
from tests.understanding.transforms.conftest import declaring, png_with

LIMITS = OcrLimits(max_bytes=2 * 1024 * 1024, max_pixels=40_000_000, timeout=30.0)
TEXT = "Order 4711 arrived broken"


async def test_text_of_a_png_is_read_off_the_event_loop():
    outcome = await ocr(png_with(TEXT), LIMITS)
    assert (outcome.status, outcome.text, outcome.error) == ("done", TEXT, None)


def test_an_image_without_text_reads_as_empty():
    outcome = read_image(png_with(""), LIMITS)
    assert (outcome.status, outcome.text) == ("done", "")


def test_a_scanned_pdf_is_read_through_the_knowledge_base_reader():
    from fpdf import FPDF
    from PIL import Image

    scan = FPDF()
    scan.add_page()
    scan.image(Image.open(io.BytesIO(png_with(TEXT))), x=10, y=10, w=180)
    outcome = read_pdf(bytes(scan.output()), LIMITS)
    assert (outcome.status, outcome.text) == ("done", TEXT)


def test_a_file_that_is_not_an_image_is_said_so_whatever_its_claim():
    for data in (
        b"hello, this is text",
        b"%!PS-Adobe-3.0 EPSF-3.0\n",
        b"\xff\xd8\xff" + b"\0" * 64,
    ):
        outcome = read_image(data, LIMITS)
        assert outcome.status == "failed" and outcome.reason == "not_an_image", data
        assert outcome.error and outcome.error.startswith("not_an_image: ")


def test_a_truncated_image_is_not_an_image():
    png = png_with(TEXT)
    outcome = read_image(png[: len(png) // 2], LIMITS)
    assert (outcome.status, outcome.reason) == ("failed", "not_an_image")
    assert "truncated" in (outcome.detail or "")


def test_a_decompression_bomb_is_refused_by_its_declared_size():
    small = png_with("x", (40, 40))
    over_our_cap = declaring(small, 8000, 6000)  # 48 MP in a few hundred bytes
    over_pillows = declaring(small, 30_000, 30_000)  # 900 MP: Pillow itself refuses it
    for bomb in (over_our_cap, over_pillows):
        assert len(bomb) < 2000
        outcome = read_image(bomb, LIMITS)
        assert (outcome.status, outcome.reason) == ("skipped", "too_large")
    assert "48000000 pixels" in (read_image(over_our_cap, LIMITS).detail or "")


def test_oversized_bytes_are_not_read():
    png = png_with(TEXT)
    capped = OcrLimits(max_bytes=len(png) - 1, max_pixels=40_000_000, timeout=30.0)
    for outcome in (read_image(png, capped), read_pdf(b"%PDF-1.7\n" + b"x" * len(png), capped)):
        assert (outcome.status, outcome.reason) == ("skipped", "too_large")
        assert f"over the limit of {len(png) - 1}" in (outcome.detail or "")


def test_tesseract_past_its_time_limit_is_a_timeout():
    hurried = OcrLimits(max_bytes=LIMITS.max_bytes, max_pixels=LIMITS.max_pixels, timeout=0.001)
    outcome = read_image(png_with(TEXT), hurried)
    assert (outcome.status, outcome.reason) == ("failed", "timeout")


def test_a_corrupt_pdf_is_unreadable():
    outcome = read_pdf(b"%PDF-1.7\nthis is no pdf at all", LIMITS)
    assert (outcome.status, outcome.reason) == ("failed", "unreadable")
