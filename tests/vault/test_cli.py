"""`frontdesk vault rotate-master-key`, run as an operator would, on a key-file data dir."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.runtime import Runtime
from frontdesk.tenants.service import create_tenant
from frontdesk.vault import tokens
from frontdesk.vault.audit import SYSTEM
from frontdesk.vault.schemas import CredentialCreate
from frontdesk.vault.service import Vault
from tests.conftest import base_settings
from tests.vault.helpers import API_KEY


def frontdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(data_dir), "FRONTDESK_LOG_LEVEL": "WARNING"}
    for name in ("FRONTDESK_DATABASE_URL", "FRONTDESK_MASTER_KEY", "FRONTDESK_MASTER_KEY_PREVIOUS"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "frontdesk", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


async def _store_credentials(data_dir: Path) -> list[tuple[str, str]]:
    runtime = Runtime.create(base_settings(data_dir, master_key=None))
    vault = Vault.of(runtime)
    made = []
    for slug in ("alpha", "beta"):
        async with runtime.db.system_session() as session:
            tenant = await create_tenant(session, slug)
        cred = await vault.create(
            tenant.id,
            SYSTEM,
            CredentialCreate(name="crm", type="api_key", value={"key": API_KEY}),
        )
        made.append((tenant.id, cred.id))
    await runtime.db.dispose()
    return made


async def _read_all(data_dir: Path, made: list[tuple[str, str]]) -> None:
    runtime = Runtime.create(base_settings(data_dir, master_key=None))
    vault = Vault.of(runtime)
    for tenant_id, cred_id in made:
        secret = await tokens.reveal(vault, tenant_id, cred_id, "cli-test", "after rotation")
        assert secret.reveal()["key"] == API_KEY
    await runtime.db.dispose()


@pytest.mark.slow
def test_rotate_master_key_keeps_every_credential_readable(tmp_path: Path):
    assert frontdesk(tmp_path, "migrate").returncode == 0
    made = asyncio.run(_store_credentials(tmp_path))
    old_key = (tmp_path / "master.key").read_text()

    refused = frontdesk(tmp_path, "vault", "rotate-master-key")
    assert refused.returncode != 0 and "PREVIOUS" in refused.stderr

    done = frontdesk(tmp_path, "vault", "rotate-master-key", "--generate")
    assert done.returncode == 0, done.stderr
    assert "re-wrapped 2 data keys" in done.stderr
    assert (tmp_path / "master.key.previous").read_text() == old_key
    assert (tmp_path / "master.key").read_text() != old_key
    assert old_key not in done.stdout + done.stderr

    asyncio.run(_read_all(tmp_path, made))
    (tmp_path / "master.key.previous").unlink()  # step 3: the old key is gone
    asyncio.run(_read_all(tmp_path, made))
