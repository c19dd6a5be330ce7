"""Envelope encryption (AES-256-GCM): a master key wraps per-tenant data keys.

A ciphertext is ``VERSION || data-key id (16 bytes) || nonce (12) || ciphertext+tag``, so a tenant's
data key can rotate (new writes use the active key, old ciphertexts name the key they need) and the
master key can rotate by re-wrapping data keys only. Callers pass associated data (e.g. the
credential id) that binds a ciphertext to its place: moved elsewhere, it no longer decrypts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.cache import TTLCache
from frontdesk.core.crypto_models import DataKey
from frontdesk.core.db import Executor, after_commit
from frontdesk.core.errors import FrontdeskError
from frontdesk.core.logging import get_logger

VERSION = b"\x01"
NONCE = 12
_DATA_KEY = select(*DataKey.__table__.c).where(DataKey.id == bindparam("key_id"))
log = get_logger("frontdesk.crypto")


class DecryptionError(FrontdeskError):
    """A ciphertext is corrupt, was moved, or its key is unknown."""

    status, code, title = 500, "decryption_failed", "Decryption failed"


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as e:
        raise ValueError(f"{source} is not base64") from e
    if len(key) != 32:
        raise ValueError(f"{source} must hold 32 bytes, base64-encoded (found {len(key)})")
    return key


def load_master_key(configured: str | None, data_dir: Path) -> bytes:
    """Return the 32-byte master key from settings, or from (or generated into) the data dir."""
    if configured:
        return _decode_key(configured, "FRONTDESK_MASTER_KEY")
    path = data_dir / "master.key"
    if path.exists():
        return _decode_key(path.read_text(), str(path))
    data_dir.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    # Written whole to a private temporary file, then linked into place: a process starting at
    # the same moment sees either no key file or a complete one, never a half-written one.
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".master.key.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(key).decode())
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    except FileExistsError:
        return _decode_key(path.read_text(), str(path))
    finally:
        os.unlink(tmp)
    log.warning(
        "master_key_generated",
        path=str(path),
        hint="set FRONTDESK_MASTER_KEY in production and keep a backup of it",
    )
    return key


def load_previous_master_key(configured: str | None, data_dir: Path) -> bytes | None:
    """The master key being rotated away from: from settings, or ``master.key.previous``."""
    if configured:
        return _decode_key(configured, "FRONTDESK_MASTER_KEY_PREVIOUS")
    path = data_dir / "master.key.previous"
    return _decode_key(path.read_text(), str(path)) if path.exists() else None


def master_key_id(master: bytes) -> str:
    """A short public fingerprint of a master key, stored beside each wrapped data key."""
    return hashlib.sha256(b"frontdesk-master-key-id" + master).hexdigest()[:16]


class KeyRing:
    """Encrypts and decrypts tenant data with the tenant's data keys, caching unwrapped keys."""

    def __init__(
        self, master: bytes, active_ttl: float = 60.0, previous: Iterable[bytes] = ()
    ) -> None:
        self._master = AESGCM(master)
        self._derived: dict[str, bytes] = {}
        self._derive_from = master
        self.master_id = master_key_id(master)
        # Master keys being rotated away from: data keys they still wrap stay readable, so
        # processes restarted with the new key keep working before and after the re-wrap.
        self._masters = {master_key_id(m): AESGCM(m) for m in previous}
        self._masters[self.master_id] = self._master
        self._keys: dict[str, AESGCM] = {}
        # Which key encrypts new data, per tenant; re-read after the TTL so that a rotation
        # made by another process is picked up. A rotation here wins over a load in flight.
        self._active: TTLCache[str, str] = TTLCache(active_ttl)

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for one ``purpose`` (e.g. signing links), derived from the master key."""
        key = self._derived.get(purpose)
        if key is None:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
            key = self._derived[purpose] = hkdf.derive(self._derive_from)
        return key

    def _wrap(self, tenant_id: str, key_id: str, key: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._master.encrypt(nonce, key, f"{tenant_id}:{key_id}".encode())

    def _unwrap(self, row: DataKey | Row[Any]) -> AESGCM:
        master = self._masters.get(row.master_key_id)
        if master is None:
            raise DecryptionError(f"data key {row.id} is wrapped by another master key")
        nonce, body = row.wrapped[:NONCE], row.wrapped[NONCE:]
        try:
            key = master.decrypt(nonce, body, f"{row.tenant_id}:{row.id}".encode())
        except InvalidTag as e:
            raise DecryptionError("data key does not unwrap with this master key") from e
        return AESGCM(key)

    async def rotate_data_key(self, session: AsyncSession, tenant_id: str) -> str:
        """Create a new active data key for the tenant; older keys stay for decryption."""
        await session.execute(
            update(DataKey).where(DataKey.tenant_id == tenant_id).values(active=False)
        )
        key_id = str(uuid.uuid4())
        key = AESGCM.generate_key(bit_length=256)
        session.add(
            DataKey(
                id=key_id,
                tenant_id=tenant_id,
                master_key_id=self.master_id,
                wrapped=self._wrap(tenant_id, key_id, key),
                active=True,
            )
        )
        await session.flush()
        self._keys[key_id] = AESGCM(key)
        # Only once committed: a rolled-back key must never encrypt data of a later transaction.
        after_commit(session, lambda: self._active.set(tenant_id, key_id))
        return key_id

    async def _active_key(self, session: AsyncSession, tenant_id: str) -> tuple[str, AESGCM]:
        cached = self._active.get(tenant_id)
        if cached is not None:
            return cached, self._keys[cached]
        generation = self._active.generation()
        row = await session.scalar(
            select(DataKey)
            .where(DataKey.tenant_id == tenant_id, DataKey.active.is_(True))
            .order_by(DataKey.created_at.desc())
            .limit(1)
        )
        if row is None:
            key_id = await self.rotate_data_key(session, tenant_id)
        else:
            key_id = row.id
            if key_id not in self._keys:
                self._keys[key_id] = self._unwrap(row)
            self._active.put(tenant_id, key_id, generation)
        return key_id, self._keys[key_id]

    async def _key(self, session: Executor, tenant_id: str, key_id: str) -> AESGCM:
        if key_id not in self._keys:
            row = (await session.execute(_DATA_KEY, {"key_id": key_id})).first()
            if row is None or row.tenant_id != tenant_id:
                raise DecryptionError("unknown data key")
            self._keys[key_id] = self._unwrap(row)
        return self._keys[key_id]

    async def encrypt(
        self, session: AsyncSession, tenant_id: str, plaintext: bytes, aad: bytes = b""
    ) -> bytes:
        """Encrypt ``plaintext`` for ``tenant_id``, bound to ``aad``."""
        key_id, key = await self._active_key(session, tenant_id)
        nonce = os.urandom(NONCE)
        body = key.encrypt(nonce, plaintext, tenant_id.encode() + b"|" + aad)
        return VERSION + uuid.UUID(key_id).bytes + nonce + body

    async def decrypt(
        self, session: Executor, tenant_id: str, blob: bytes, aad: bytes = b""
    ) -> bytes:
        """Decrypt a ciphertext made by :meth:`encrypt` with the same tenant and ``aad``."""
        if len(blob) < 1 + 16 + NONCE + 16 or blob[:1] != VERSION:
            raise DecryptionError("not a Frontdesk ciphertext")
        key_id = str(uuid.UUID(bytes=blob[1:17]))
        key = await self._key(session, tenant_id, key_id)
        nonce, body = blob[17 : 17 + NONCE], blob[17 + NONCE :]
        try:
            return key.decrypt(nonce, body, tenant_id.encode() + b"|" + aad)
        except InvalidTag as e:
            raise DecryptionError("ciphertext was altered or does not belong here") from e

    async def rewrap_all(self, session: AsyncSession, old: KeyRing) -> int:
        """Re-wrap the data keys that ``old``'s master key wrapped under this one (rotation)."""
        rows = (
            await session.scalars(select(DataKey).where(DataKey.master_key_id == old.master_id))
        ).all()
        for row in rows:
            plain = old._master.decrypt(
                row.wrapped[:NONCE], row.wrapped[NONCE:], f"{row.tenant_id}:{row.id}".encode()
            )
            row.wrapped = self._wrap(row.tenant_id, row.id, plain)
            row.master_key_id = self.master_id
            self._keys[row.id] = AESGCM(plain)
        await session.flush()
        return len(rows)
