"""FAQ bulk import and export as CSV, JSON or XLSX.

JSON is a list of entries (or ``{"entries": [...]}``).
CSV and XLSX use one row per entry under a header row with the columns of :data:`COLUMNS`;
list cells (alternate questions, tags) separate items with ``|``. Import upserts by question
(case-insensitive): a known question is updated (its version grows), a new one is created.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import ValidationFailed
from frontdesk.knowledge.faq_index import FaqIndex
from frontdesk.knowledge.models import FaqEntry
from frontdesk.knowledge.schemas import FaqCreate, FaqImportResult

Format = Literal["csv", "json", "xlsx"]
COLUMNS = [
    "question",
    "answer",
    "alternate_questions",
    "category",
    "tags",
    "language",
    "priority",
    "enabled",
    "visibility",
]
LISTS = ("alternate_questions", "tags")
MAX_ROWS = 10_000


def _row(entry: FaqEntry) -> list[Any]:
    values = {c: getattr(entry, c) for c in COLUMNS}
    for name in LISTS:
        values[name] = "|".join(values[name])
    return [values[c] if values[c] is not None else "" for c in COLUMNS]


def export(entries: list[FaqEntry], fmt: Format) -> bytes:
    """The entries in ``fmt``."""
    if fmt == "json":
        data = [FaqCreate.model_validate(e, from_attributes=True).model_dump() for e in entries]
        return json.dumps(data, ensure_ascii=False, indent=1).encode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(_row(e) for e in entries)
        return out.getvalue().encode()
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "FAQ"
    sheet.append(COLUMNS)
    for entry in entries:
        sheet.append(_row(entry))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _from_table(rows: list[list[Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    header = [str(h or "").strip().lower() for h in rows[0]]
    if "question" not in header or "answer" not in header:
        raise ValidationFailed("The header row needs at least 'question' and 'answer' columns")
    items = []
    for row in rows[1:]:
        item = {
            h: v for h, v in zip(header, row, strict=False) if h in COLUMNS and v not in (None, "")
        }
        for name in LISTS:
            if name in item:
                item[name] = [p.strip() for p in str(item[name]).split("|") if p.strip()]
        if "enabled" in item and isinstance(item["enabled"], str):
            item["enabled"] = item["enabled"].strip().lower() in ("1", "true", "yes")
        if item:
            items.append(item)
    return items


def parse(data: bytes, fmt: Format) -> list[FaqCreate]:
    """Validated entries from an upload, or :class:`ValidationFailed` naming the bad row."""
    try:
        if fmt == "json":
            raw: Any = json.loads(data)
            if isinstance(raw, dict) and set(raw) == {"entries"}:
                raw = raw["entries"]
        elif fmt == "csv":
            raw = _from_table(list(csv.reader(io.StringIO(data.decode("utf-8-sig")))))
        else:
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            raw = _from_table([list(r) for r in book.worksheets[0].iter_rows(values_only=True)])
    except (ValueError, UnicodeDecodeError, csv.Error, OSError, KeyError) as exc:
        raise ValidationFailed(f"Unreadable {fmt.upper()} file: {type(exc).__name__}") from exc
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise ValidationFailed(f"Unreadable {fmt.upper()} file: {type(exc).__name__}") from exc
    if not isinstance(raw, list) or len(raw) > MAX_ROWS:
        raise ValidationFailed(f"Expected a list of at most {MAX_ROWS} entries")
    try:
        return TypeAdapter(list[FaqCreate]).validate_python(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ValidationFailed(f"Entry {first['loc'][0]}: {first['msg']}") from exc


async def import_entries(
    session: AsyncSession, index: FaqIndex, tenant_id: str, entries: list[FaqCreate]
) -> FaqImportResult:
    """Upsert by question and commit."""
    existing = {
        e.question.strip().lower(): e
        for e in (
            await session.scalars(select(FaqEntry).where(FaqEntry.tenant_id == tenant_id))
        ).all()
    }
    created = updated = 0
    for data in entries:
        entry = existing.get(data.question.strip().lower())
        if entry is None:
            entry = FaqEntry(tenant_id=tenant_id, **data.model_dump())
            session.add(entry)
            existing[data.question.strip().lower()] = entry
            created += 1
        else:
            for key, value in data.model_dump().items():
                setattr(entry, key, value)
            entry.version = (entry.version or 1) + 1
            updated += 1
    await session.commit()
    index.invalidate(tenant_id)
    return FaqImportResult(created=created, updated=updated)


async def count(session: AsyncSession, tenant_id: str) -> int:
    """How many entries the tenant has."""
    return int(
        await session.scalar(
            select(func.count()).select_from(FaqEntry).where(FaqEntry.tenant_id == tenant_id)
        )
        or 0
    )
