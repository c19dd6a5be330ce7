"""CSV: one record per row (the first row is the header); the delimiter is sniffed."""

from __future__ import annotations

import csv
import io

from frontdesk.knowledge.chunking import Extracted
from frontdesk.knowledge.ingest.base import IngestError, Limits, stem
from frontdesk.knowledge.ingest.spreadsheet import records
from frontdesk.knowledge.ingest.text import decode


def parse(data: bytes, name: str, limits: Limits) -> Extracted:
    """Rows as records."""
    text = decode(data, name)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[v.strip() for v in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise IngestError(f"{name}: malformed CSV ({exc})") from exc
    rows = [r for r in rows if any(r)]
    if not rows:
        return Extracted(title=stem(name), sections=[])
    return Extracted(title=stem(name), sections=records(rows[0], rows[1:], []))
