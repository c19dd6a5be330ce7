"""XLSX (openpyxl): one record per row, written as ``column: value`` pairs under the sheet name."""

from __future__ import annotations

import io

from frontdesk.knowledge.chunking import Extracted, Section
from frontdesk.knowledge.ingest.base import IngestError, Limits, check_zip, stem


def records(header: list[str], rows: list[list[str]], path: list[str]) -> list[Section]:
    """A section per non-empty row, each value labelled by its column."""
    sections = []
    for row in rows:
        pairs = [
            f"{header[i] if i < len(header) and header[i] else f'column {i + 1}'}: {value}"
            for i, value in enumerate(row)
            if value
        ]
        if pairs:
            sections.append(Section(text="; ".join(pairs), kind="record", heading_path=path))
    return sections


def parse(data: bytes, name: str, limits: Limits) -> Extracted:
    """Every sheet's rows as records (the first row is the header)."""
    check_zip(data, name, limits)
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise IngestError(f"{name}: corrupt XLSX ({type(exc).__name__})") from exc
    sections: list[Section] = []
    try:
        for sheet in book.worksheets:
            rows = [
                ["" if v is None else str(v).strip() for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
            rows = [r for r in rows if any(r)]
            if rows:
                sections.extend(records(rows[0], rows[1:], [sheet.title]))
    finally:
        book.close()
    return Extracted(title=stem(name), sections=sections)
