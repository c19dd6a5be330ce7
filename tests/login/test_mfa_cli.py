"""``frontdesk member reset-mfa``: the operator's way back in when a member lost every factor."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from frontdesk.core.clock import utcnow
from frontdesk.core.crypto import KeyRing
from frontdesk.core.db import Database, create_null_pool_engine
from frontdesk.demo import ADMIN_EMAIL
from frontdesk.login.service import confirm_mfa, setup_mfa
from frontdesk.tenants.models import Member, Tenant
from tests.conftest import TEST_MASTER_KEY, base_settings
from tests.test_cli import frontdesk


async def _enrol(data_dir: Path) -> None:
    db = Database(create_null_pool_engine(base_settings(data_dir)))
    keyring = KeyRing(base64.b64decode(TEST_MASTER_KEY))
    try:
        async with db.system_session() as session:
            tenant_id, member_id = (
                await session.execute(
                    select(Tenant.id, Member.id)
                    .join(Member, Member.tenant_id == Tenant.id)
                    .where(Tenant.slug == "demo", Member.email == ADMIN_EMAIL)
                )
            ).one()
        setup = await setup_mfa(db, keyring, tenant_id, member_id, "demo")
        now = utcnow()
        code = pyotp.TOTP(setup.secret).at(now)
        await confirm_mfa(db, keyring, tenant_id, member_id, code, now)
    finally:
        await db.dispose()


async def _enabled(data_dir: Path) -> bool:
    db = Database(create_null_pool_engine(base_settings(data_dir)))
    try:
        async with db.system_session() as session:
            member = await session.scalar(select(Member).where(Member.email == ADMIN_EMAIL))
        assert member is not None
        return member.mfa_enabled
    finally:
        await db.dispose()


@pytest.mark.slow
def test_reset_mfa_from_the_command_line(tmp_path: Path) -> None:
    frontdesk(tmp_path, "migrate")
    frontdesk(tmp_path, "demo")
    asyncio.run(_enrol(tmp_path))
    assert asyncio.run(_enabled(tmp_path))
    args = ("member", "reset-mfa", "--tenant", "demo")
    missing = frontdesk(tmp_path, *args, "--email", "nobody@demo.example", check=False)
    assert missing.returncode == 1 and "No member" in missing.stderr
    done = frontdesk(tmp_path, *args, "--email", ADMIN_EMAIL)
    assert done.stdout.strip()
    assert not asyncio.run(_enabled(tmp_path))
