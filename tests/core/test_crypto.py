"""Envelope encryption: KeyRing round trips, tamper detection, key rotation, the master key."""

from __future__ import annotations

import asyncio
import base64
import os
import stat
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from frontdesk.core.crypto import (
    NONCE,
    VERSION,
    DecryptionError,
    KeyRing,
    load_master_key,
    master_key_id,
)
from frontdesk.core.crypto_models import DataKey
from frontdesk.core.db import Database
from frontdesk.runtime import Runtime
from tests.conftest import TEST_MASTER_KEY, TenantCtx

MASTER = base64.b64decode(TEST_MASTER_KEY)
OTHER_MASTER = bytes(range(32))
SECRET = b"sk_live_4242424242424242"
AAD = b"credential:cred-1"


async def encrypt(
    db: Database, ring: KeyRing, tenant_id: str, plaintext: bytes = SECRET, aad: bytes = AAD
) -> bytes:
    async with db.tenant_tx(tenant_id) as session:
        return await ring.encrypt(session, tenant_id, plaintext, aad)


async def decrypt(
    db: Database, ring: KeyRing, tenant_id: str, blob: bytes, aad: bytes = AAD
) -> bytes:
    async with db.tenant_tx(tenant_id) as session:
        return await ring.decrypt(session, tenant_id, blob, aad)


async def rotate(db: Database, ring: KeyRing, tenant_id: str) -> str:
    async with db.tenant_tx(tenant_id) as session:
        return await ring.rotate_data_key(session, tenant_id)


async def data_keys(db: Database, tenant_id: str | None = None) -> list[DataKey]:
    async with db.system_session() as session:
        stmt = select(DataKey).order_by(DataKey.created_at)
        if tenant_id:
            stmt = stmt.where(DataKey.tenant_id == tenant_id)
        return list((await session.scalars(stmt)).all())


def key_id_of(blob: bytes) -> str:
    return str(uuid.UUID(bytes=blob[1:17]))


class TestRoundTrip:
    async def test_encrypt_then_decrypt(self, runtime: Runtime, tenant: TenantCtx):
        ring = KeyRing(MASTER)
        blob = await encrypt(runtime.db, ring, tenant.id)
        assert SECRET not in blob
        assert await decrypt(runtime.db, ring, tenant.id, blob) == SECRET

    @pytest.mark.parametrize("plaintext", [b"", b"x", os.urandom(10_000)])
    async def test_any_length(self, runtime: Runtime, tenant: TenantCtx, plaintext: bytes):
        ring = KeyRing(MASTER)
        blob = await encrypt(runtime.db, ring, tenant.id, plaintext)
        assert await decrypt(runtime.db, ring, tenant.id, blob) == plaintext

    async def test_same_plaintext_encrypts_differently(self, runtime: Runtime, tenant: TenantCtx):
        ring = KeyRing(MASTER)
        first = await encrypt(runtime.db, ring, tenant.id)
        second = await encrypt(runtime.db, ring, tenant.id)
        assert first != second
        assert first[17 : 17 + NONCE] != second[17 : 17 + NONCE]

    async def test_ciphertext_names_the_tenants_active_data_key(
        self, runtime: Runtime, tenant: TenantCtx
    ):
        ring = KeyRing(MASTER)
        blob = await encrypt(runtime.db, ring, tenant.id)
        [key] = await data_keys(runtime.db, tenant.id)
        assert key.active
        assert blob[:1] == VERSION
        assert key_id_of(blob) == key.id
        assert len(blob) == 1 + 16 + NONCE + len(SECRET) + 16

    async def test_each_tenant_gets_its_own_data_key(
        self, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
    ):
        ring = KeyRing(MASTER)
        mine = await encrypt(runtime.db, ring, tenant.id)
        theirs = await encrypt(runtime.db, ring, other_tenant.id)
        assert key_id_of(mine) != key_id_of(theirs)
        assert {k.tenant_id for k in await data_keys(runtime.db)} == {tenant.id, other_tenant.id}

    async def test_data_key_is_reused_across_encryptions(self, runtime: Runtime, tenant: TenantCtx):
        ring = KeyRing(MASTER)
        blobs = [await encrypt(runtime.db, ring, tenant.id) for _ in range(3)]
        blobs.append(await encrypt(runtime.db, KeyRing(MASTER), tenant.id))
        assert len({key_id_of(b) for b in blobs}) == 1
        assert len(await data_keys(runtime.db, tenant.id)) == 1


class TestTampering:
    async def test_wrong_tenant_cannot_decrypt(
        self, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
    ):
        ring = KeyRing(MASTER)
        blob = await encrypt(runtime.db, ring, tenant.id)
        await encrypt(runtime.db, ring, other_tenant.id)
        # Same process (key cached) and a fresh process (key loaded from the database).
        for reader in (ring, KeyRing(MASTER)):
            with pytest.raises(DecryptionError):
                await decrypt(runtime.db, reader, other_tenant.id, blob)

    async def test_wrong_associated_data_cannot_decrypt(self, runtime: Runtime, tenant: TenantCtx):
        ring = KeyRing(MASTER)
        blob = await encrypt(runtime.db, ring, tenant.id, aad=b"credential:cred-1")
        for aad in (b"credential:cred-2", b"", b"credential:cred-1 "):
            with pytest.raises(DecryptionError):
                await decrypt(runtime.db, ring, tenant.id, blob, aad)

    async def test_every_tampered_byte_is_detected(self, runtime: Runtime, tenant: TenantCtx):
        ring = KeyRing(MASTER)
        blob = await encrypt(runtime.db, ring, tenant.id)
        for position in range(len(blob)):
            tampered = bytearray(blob)
            tampered[position] ^= 0x01
            with pytest.raises(DecryptionError):
                await decrypt(runtime.db, ring, tenant.id, bytes(tampered))
        assert await decrypt(runtime.db, ring, tenant.id, blob) == SECRET

    @pytest.mark.parametrize("cut", [0, 1, 17, 29, 44])
    async def test_truncated_ciphertext_is_rejected(
        self, runtime: Runtime, tenant: TenantCtx, cut: int
    ):
        ring = KeyRing(MASTER)
        blob = await encrypt(runtime.db, ring, tenant.id)
        with pytest.raises(DecryptionError):
            await decrypt(runtime.db, ring, tenant.id, blob[:cut])

    async def test_unknown_data_key_is_rejected(self, runtime: Runtime, tenant: TenantCtx):
        ring = KeyRing(MASTER)
        blob = await encrypt(runtime.db, ring, tenant.id)
        forged = VERSION + uuid.uuid4().bytes + blob[17:]
        with pytest.raises(DecryptionError):
            await decrypt(runtime.db, KeyRing(MASTER), tenant.id, forged)

    async def test_corrupted_wrapped_key_fails_closed(self, runtime: Runtime, tenant: TenantCtx):
        blob = await encrypt(runtime.db, KeyRing(MASTER), tenant.id)
        async with runtime.db.system_tx() as session:
            [row] = (await session.scalars(select(DataKey))).all()
            row.wrapped = row.wrapped[:-1] + bytes([row.wrapped[-1] ^ 0x01])
        with pytest.raises(DecryptionError):
            await decrypt(runtime.db, KeyRing(MASTER), tenant.id, blob)

    async def test_wrapped_key_cannot_be_moved_to_another_tenant(
        self, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
    ):
        blob = await encrypt(runtime.db, KeyRing(MASTER), tenant.id)
        async with runtime.db.system_tx() as session:
            [row] = (await session.scalars(select(DataKey))).all()
            row.tenant_id = other_tenant.id
        with pytest.raises(DecryptionError):
            await decrypt(runtime.db, KeyRing(MASTER), other_tenant.id, blob)


class TestDataKeyRotation:
    async def test_new_encryptions_use_the_new_key_and_old_ones_still_decrypt(
        self, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
    ):
        ring = KeyRing(MASTER)
        old_blob = await encrypt(runtime.db, ring, tenant.id, b"old secret")
        other_blob = await encrypt(runtime.db, ring, other_tenant.id)
        old_key = key_id_of(old_blob)

        new_key = await rotate(runtime.db, ring, tenant.id)

        assert new_key != old_key
        new_blob = await encrypt(runtime.db, ring, tenant.id, b"new secret")
        assert key_id_of(new_blob) == new_key
        for reader in (ring, KeyRing(MASTER)):
            assert await decrypt(runtime.db, reader, tenant.id, old_blob) == b"old secret"
            assert await decrypt(runtime.db, reader, tenant.id, new_blob) == b"new secret"
        # A new process picks the rotated key for new writes too.
        fresh_blob = await encrypt(runtime.db, KeyRing(MASTER), tenant.id)
        assert key_id_of(fresh_blob) == new_key

        keys = await data_keys(runtime.db, tenant.id)
        assert {(k.id, k.active) for k in keys} == {(old_key, False), (new_key, True)}
        # Other tenants are untouched.
        [theirs] = await data_keys(runtime.db, other_tenant.id)
        assert theirs.active and theirs.id == key_id_of(other_blob)

    async def test_rotation_before_any_encryption(self, runtime: Runtime, tenant: TenantCtx):
        ring = KeyRing(MASTER)
        key_id = await rotate(runtime.db, ring, tenant.id)
        blob = await encrypt(runtime.db, KeyRing(MASTER), tenant.id)
        assert key_id_of(blob) == key_id

    async def test_a_rotation_wins_over_a_load_that_read_the_old_key(
        self, runtime: Runtime, tenant: TenantCtx
    ):
        old_key = key_id_of(await encrypt(runtime.db, KeyRing(MASTER), tenant.id))
        ring = KeyRing(MASTER)
        read, go_on = asyncio.Event(), asyncio.Event()
        async with runtime.db.tenant_session(tenant.id) as reader:
            scalar = reader.scalar

            async def scalar_then_pause(*args: object, **kwargs: object) -> object:
                row = await scalar(*args, **kwargs)  # type: ignore[arg-type]
                read.set()
                await go_on.wait()
                return row

            reader.scalar = scalar_then_pause  # type: ignore[method-assign]
            load = asyncio.create_task(ring.encrypt(reader, tenant.id, SECRET, AAD))
            await read.wait()
            new_key = await rotate(runtime.db, ring, tenant.id)
            go_on.set()
            assert key_id_of(await load) == old_key  # it read before the rotation committed

        assert key_id_of(await encrypt(runtime.db, ring, tenant.id)) == new_key


class TestMasterKey:
    async def test_fresh_keyring_with_the_same_master_decrypts(
        self, runtime: Runtime, tenant: TenantCtx
    ):
        blob = await encrypt(runtime.db, KeyRing(MASTER), tenant.id)
        assert await decrypt(runtime.db, KeyRing(MASTER), tenant.id, blob) == SECRET

    async def test_another_master_key_cannot_decrypt(self, runtime: Runtime, tenant: TenantCtx):
        blob = await encrypt(runtime.db, KeyRing(MASTER), tenant.id)
        with pytest.raises(DecryptionError):
            await decrypt(runtime.db, KeyRing(OTHER_MASTER), tenant.id, blob)

    async def test_data_keys_are_stored_wrapped(self, runtime: Runtime, tenant: TenantCtx):
        blob = await encrypt(runtime.db, KeyRing(MASTER), tenant.id)
        [row] = await data_keys(runtime.db, tenant.id)
        assert row.master_key_id == master_key_id(MASTER) == KeyRing(MASTER).master_id

        # Unwrapping by hand with the master key gives the raw data key, which is not stored.
        raw = AESGCM(MASTER).decrypt(
            row.wrapped[:NONCE], row.wrapped[NONCE:], f"{row.tenant_id}:{row.id}".encode()
        )
        assert len(raw) == 32
        assert raw not in row.wrapped
        assert len(row.wrapped) == NONCE + 32 + 16
        body = AESGCM(raw).decrypt(
            blob[17 : 17 + NONCE], blob[17 + NONCE :], tenant.id.encode() + b"|" + AAD
        )
        assert body == SECRET

    async def test_master_rotation_rewraps_every_data_key(
        self, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
    ):
        old_ring = KeyRing(MASTER)
        mine = await encrypt(runtime.db, old_ring, tenant.id, b"mine")
        await rotate(runtime.db, old_ring, tenant.id)
        mine_later = await encrypt(runtime.db, old_ring, tenant.id, b"mine later")
        theirs = await encrypt(runtime.db, old_ring, other_tenant.id, b"theirs")

        new_ring = KeyRing(OTHER_MASTER)
        async with runtime.db.system_tx() as session:
            assert await new_ring.rewrap_all(session, old_ring) == 3

        assert {k.master_key_id for k in await data_keys(runtime.db)} == {new_ring.master_id}
        restarted = KeyRing(OTHER_MASTER)
        for ring in (new_ring, restarted):
            assert await decrypt(runtime.db, ring, tenant.id, mine) == b"mine"
            assert await decrypt(runtime.db, ring, tenant.id, mine_later) == b"mine later"
            assert await decrypt(runtime.db, ring, other_tenant.id, theirs) == b"theirs"
        # The active key survives the rotation: no new data key is created.
        later = await encrypt(runtime.db, restarted, tenant.id)
        assert key_id_of(later) == key_id_of(mine_later)
        # The old master no longer opens anything.
        with pytest.raises(DecryptionError):
            await decrypt(runtime.db, KeyRing(MASTER), tenant.id, mine)
        # Re-running the rotation finds nothing left to re-wrap.
        async with runtime.db.system_tx() as session:
            assert await new_ring.rewrap_all(session, old_ring) == 0

    async def test_rolled_back_master_rotation_changes_nothing(
        self, runtime: Runtime, tenant: TenantCtx
    ):
        blob = await encrypt(runtime.db, KeyRing(MASTER), tenant.id)
        async with runtime.db.system_session() as session:
            await KeyRing(OTHER_MASTER).rewrap_all(session, KeyRing(MASTER))
            await session.rollback()
        assert await decrypt(runtime.db, KeyRing(MASTER), tenant.id, blob) == SECRET


class TestLoadMasterKey:
    def test_configured_key_is_used(self, tmp_path: Path):
        assert load_master_key(TEST_MASTER_KEY, tmp_path) == MASTER
        assert not (tmp_path / "master.key").exists()

    @pytest.mark.parametrize(
        "configured",
        [
            base64.b64encode(b"k" * 16).decode(),
            base64.b64encode(b"k" * 31).decode(),
            base64.b64encode(b"k" * 33).decode(),
            "definitely not base64!",
        ],
    )
    def test_configured_key_must_be_32_bytes_base64(self, tmp_path: Path, configured: str):
        with pytest.raises(ValueError):
            load_master_key(configured, tmp_path)
        assert not (tmp_path / "master.key").exists()

    def test_key_is_generated_once_into_a_private_file(self, tmp_path: Path):
        data_dir = tmp_path / "not" / "yet" / "there"
        key = load_master_key(None, data_dir)
        path = data_dir / "master.key"
        assert len(key) == 32
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert base64.b64decode(path.read_text()) == key

        assert load_master_key(None, data_dir) == key
        assert load_master_key("", data_dir) == key
        assert load_master_key(None, tmp_path / "elsewhere") != key

    def test_key_file_with_trailing_newline_is_read(self, tmp_path: Path):
        (tmp_path / "master.key").write_text(TEST_MASTER_KEY + "\n")
        assert load_master_key(None, tmp_path) == MASTER

    @pytest.mark.parametrize("content", ["", base64.b64encode(b"k" * 16).decode()])
    def test_key_file_that_is_not_32_bytes_is_rejected(self, tmp_path: Path, content: str):
        """An empty or short file (e.g. a crash mid-write) must not become the master key."""
        (tmp_path / "master.key").write_text(content)
        with pytest.raises(ValueError):
            load_master_key(None, tmp_path)


async def test_a_rolled_back_rotation_never_encrypts_later_data(
    runtime: Runtime, tenant: TenantCtx
):
    ring = KeyRing(MASTER)
    first = key_id_of(await encrypt(runtime.db, ring, tenant.id))

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with runtime.db.tenant_tx(tenant.id) as session:
            await ring.rotate_data_key(session, tenant.id)
            raise Abort
    blob = await encrypt(runtime.db, ring, tenant.id)
    assert key_id_of(blob) == first
    assert await decrypt(runtime.db, KeyRing(MASTER), tenant.id, blob) == SECRET


async def test_a_rotation_elsewhere_is_picked_up_after_the_ttl(runtime: Runtime, tenant: TenantCtx):
    here, there = KeyRing(MASTER, active_ttl=0), KeyRing(MASTER)
    await encrypt(runtime.db, here, tenant.id)
    new_key = await rotate(runtime.db, there, tenant.id)
    assert key_id_of(await encrypt(runtime.db, here, tenant.id)) == new_key
