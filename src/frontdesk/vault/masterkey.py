"""Master-key rotation without downtime.

1. Start every process with the new key as ``FRONTDESK_MASTER_KEY`` and the old one as
   ``FRONTDESK_MASTER_KEY_PREVIOUS`` (embedded shape: ``--generate`` moves ``master.key`` to
   ``master.key.previous`` and writes a new one). Such a process reads data keys wrapped by
   either key.
2. :func:`rewrap` re-wraps every data key still under the old key with the new one, in one
   transaction. Ciphertexts are untouched: they name their data key, not the master key.
3. Drop the previous key.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import frontdesk.core.models  # noqa: F401 (every mapper: data keys reference tenants)
from frontdesk.core.crypto import KeyRing
from frontdesk.core.db import Database


async def rewrap(db: Database, current: KeyRing, previous: list[KeyRing]) -> int:
    """Re-wrap the data keys of every ``previous`` master key under ``current``'s."""
    count = 0
    async with db.system_tx() as session:
        for old in previous:
            if old.master_id != current.master_id:
                count += await current.rewrap_all(session, old)
    return count


def generate_into(data_dir: Path) -> bytes:
    """Move ``master.key`` to ``master.key.previous`` and write a new key; return it."""
    path = data_dir / "master.key"
    key = AESGCM.generate_key(bit_length=256)
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".master.key.")
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode())
        f.flush()
        os.fsync(f.fileno())
    os.replace(path, data_dir / "master.key.previous")
    os.replace(tmp, path)
    return key
