"""Uploaded files and server folders."""

from __future__ import annotations

import asyncio
from pathlib import Path

from frontdesk.knowledge.ingest.base import Limits
from frontdesk.knowledge.ingest.registry import PARSERS
from frontdesk.knowledge.ingest.sources import Outcome, Outcomes, outcome_of


async def from_file(path: Path, source: str, limits: Limits, max_bytes: int) -> Outcome:
    """One file, read whole (it was size-checked when uploaded or listed)."""
    try:
        size = (await asyncio.to_thread(path.stat)).st_size
        if size > max_bytes:
            return Outcome(source, error=f"{source}: {size} bytes is over the limit of {max_bytes}")
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        return Outcome(source, error=f"{source}: cannot read ({exc.strerror})")
    return await outcome_of(data, path.name, source, limits)


def folder_files(root: Path, recursive: bool = True) -> list[Path]:
    """Files of a known format under ``root``, in a stable order (symlinks not followed)."""
    pattern = root.rglob("*") if recursive else root.glob("*")
    return sorted(
        p
        for p in pattern
        if p.is_file() and not p.is_symlink() and p.suffix.lower().lstrip(".") in PARSERS
    )


async def from_folder(root: Path, limits: Limits, max_bytes: int, recursive: bool) -> Outcomes:
    """Every readable file of the folder, each as its own document (source: relative path)."""
    for path in await asyncio.to_thread(folder_files, root, recursive):
        yield await from_file(path, str(path.relative_to(root)), limits, max_bytes)
