"""Every format module on files the real libraries wrote, and on broken ones."""

from __future__ import annotations

import pytest

from frontdesk.knowledge.ingest import csv_table, pdf, slides, spreadsheet, text, webpage, word
from frontdesk.knowledge.ingest.base import IngestError, Limits, UnsupportedFormat
from frontdesk.knowledge.ingest.registry import parser_for
from tests.knowledge.ingest import samples

LIMITS = Limits(max_unzipped_bytes=5_000_000)


def test_pdf_pages_and_title():
    data = samples.pdf_bytes(["The warranty lasts two years.", "Returns within 30 days."])
    doc = pdf.parse(data, "manual.pdf", LIMITS)
    assert doc.title == "Owner manual"
    assert [s.page for s in doc.sections] == [1, 2]
    assert "two years" in doc.sections[0].text and "30 days" in doc.sections[1].text


def test_scanned_pdf_is_read_by_ocr():
    doc = pdf.parse(samples.scanned_pdf_bytes("Opening hours nine to five"), "scan.pdf", LIMITS)
    assert "hours" in doc.sections[0].text.lower()
    no_ocr = pdf.parse(samples.scanned_pdf_bytes("Opening hours"), "scan.pdf", Limits(ocr=False))
    assert no_ocr.sections == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 this is not really a pdf", "corrupt PDF"),
        (b"", "corrupt PDF"),
        (samples.truncated(samples.pdf_bytes(["hello world"] * 3)), "corrupt PDF"),
        (samples.pdf_bytes(["secret"], password="pw"), "encrypted"),
    ],
)
def test_broken_and_encrypted_pdfs_are_refused(data: bytes, message: str):
    with pytest.raises(IngestError, match=message):
        pdf.parse(data, "bad.pdf", LIMITS)


def test_docx_headings_paragraphs_and_table():
    doc = word.parse(samples.docx_bytes(), "handbook.docx", LIMITS)
    assert doc.title == "Employee handbook"
    by_text = {s.text.strip(): s for s in doc.sections if s.kind == "text"}
    assert by_text["Employees get 25 days of paid leave per year."].heading_path == ["Leave"]
    sick = by_text["Report sickness to your manager before 9am."]
    assert sick.heading_path == ["Leave", "Sick leave"]
    (table,) = [s for s in doc.sections if s.kind == "table"]
    assert table.header == "Plan | Price" and table.rows == ["Basic | 10", "Pro | 30"]


def test_xlsx_one_record_per_row():
    doc = spreadsheet.parse(samples.xlsx_bytes(), "plans.xlsx", LIMITS)
    assert [s.text for s in doc.sections] == [
        "Plan: Basic; Price: 10; Seats: 1",
        "Plan: Pro; Price: 30; Seats: 5",
    ]
    assert all(s.kind == "record" and s.heading_path == ["Plans"] for s in doc.sections)


def test_csv_records_with_sniffed_delimiter():
    doc = csv_table.parse(b"name;city\nAda;London\nGrace;New York\n", "people.csv", LIMITS)
    assert [s.text for s in doc.sections] == [
        "name: Ada; city: London",
        "name: Grace; city: New York",
    ]


def test_pptx_slides_and_tables():
    doc = slides.parse(samples.pptx_bytes(), "deck.pptx", LIMITS)
    texts = [(s.kind, s.page, s.heading_path) for s in doc.sections]
    assert ("text", 1, ["Onboarding"]) in texts
    (table,) = [s for s in doc.sections if s.kind == "table"]
    assert table.page == 2 and table.header == "Plan | Price"


@pytest.mark.parametrize(
    ("module", "name", "inner"),
    [
        (word, "bomb.docx", "word/document.xml"),
        (spreadsheet, "bomb.xlsx", "xl/workbook.xml"),
        (slides, "bomb.pptx", "ppt/presentation.xml"),
    ],
)
def test_zip_bombs_are_refused_before_inflating(module, name: str, inner: str):
    bomb = samples.zip_bomb(inner, 20_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(IngestError, match="zip bomb"):
        module.parse(bomb, name, LIMITS)


@pytest.mark.parametrize(
    ("module", "name", "good"),
    [
        (word, "x.docx", samples.docx_bytes),
        (spreadsheet, "x.xlsx", samples.xlsx_bytes),
        (slides, "x.pptx", samples.pptx_bytes),
    ],
)
def test_corrupt_office_files_are_refused(module, name: str, good):
    with pytest.raises(IngestError):
        module.parse(b"PK\x03\x04 definitely not a zip", name, LIMITS)
    with pytest.raises(IngestError):
        module.parse(samples.truncated(good()), name, LIMITS)
    with pytest.raises(IngestError):  # a valid zip without the Office parts
        module.parse(samples.zip_bomb("other.xml", 10), name, LIMITS)


def test_markdown_heading_paths():
    doc = text.parse_markdown(
        b"# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n```\n# not a heading\n```\n", "g.md", LIMITS
    )
    assert doc.title == "Guide"
    assert [s.heading_path for s in doc.sections] == [["Guide"], ["Guide", "Install"]]
    assert "# not a heading" in doc.sections[1].text


def test_text_and_rtf():
    assert (
        text.parse_text("caf\xe9".encode("latin-1"), "a.txt", LIMITS).sections[0].text == "caf\xe9"
    )
    with pytest.raises(IngestError, match="binary"):
        text.parse_text(b"\x00\x01\x02", "a.txt", LIMITS)
    rtf = rb"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard Refunds take 5 days.\par}"
    assert "Refunds take 5 days." in text.parse_rtf(rtf, "r.rtf", LIMITS).sections[0].text
    with pytest.raises(IngestError, match="not an RTF"):
        text.parse_rtf(b"plain", "r.rtf", LIMITS)


def test_html_main_content_without_scripts():
    html = b"""<html><head><title>Delivery</title><script>var secret = "tracking-pixel";</script>
    </head><body><nav>Home | Shop | Cart</nav><article><h1>Delivery</h1>
    <p>We deliver across Europe within three working days of your order being placed.</p>
    <p>Orders over fifty euros ship free of charge to every country we serve.</p>
    <script>alert("x")</script></article><footer>Copyright 2026</footer></body></html>"""
    doc = webpage.parse(html, "delivery.html", LIMITS)
    body = " ".join(s.text for s in doc.sections)
    assert doc.title == "Delivery"
    assert "three working days" in body
    assert "tracking-pixel" not in body and "alert" not in body


def test_registry_by_extension_and_content_type():
    assert parser_for("a/b/Report.PDF")[0] == "pdf"
    assert parser_for("download", "text/html; charset=utf-8")[0] == "html"
    with pytest.raises(UnsupportedFormat):
        parser_for("movie.mp4", "video/mp4")
