"""Lifecycle (V4), run periodically: expiry alerts, rotation reminders, purges.

Each alert is emitted once per credential (its ``*_alerted_at`` / ``*_reminded_at`` stamp is set
in the same transaction as the outbox event) and re-armed when the credential is rotated or its
expiry changes.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.logging import get_logger
from frontdesk.core.outbox import publish
from frontdesk.vault import audit
from frontdesk.vault.audit import SYSTEM
from frontdesk.vault.models import ACTIVE, ARCHIVED, Credential, DecryptToken
from frontdesk.vault.service import Vault, rotation_due

log = get_logger("frontdesk.vault")
SPENT_TOKENS_KEPT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one lifecycle pass did."""

    expiring: int
    rotation_due: int
    purged: int
    tokens_dropped: int


async def run_checks(vault: Vault) -> CheckResult:
    """One pass over every tenant's credentials."""
    now = vault.clock.now()
    horizon = now + timedelta(days=vault.settings.vault_expiry_warning_days)
    async with vault.db.system_tx() as s:
        expiring = (
            await s.scalars(
                select(Credential).where(
                    Credential.status == ACTIVE,
                    Credential.expires_at <= horizon,
                    Credential.expiry_alerted_at.is_(None),
                )
            )
        ).all()
        for cred in expiring:
            cred.expiry_alerted_at = now
            assert cred.expires_at is not None
            await publish(
                s,
                cred.tenant_id,
                "vault.credential_expiring",
                {
                    "credential_id": cred.id,
                    "name": cred.name,
                    "type": cred.type,
                    "expires_at": cred.expires_at.isoformat(),
                    "expired": cred.expires_at <= now,
                },
            )
            audit.record(s, cred.tenant_id, SYSTEM, "expiry_alert", now, credential_id=cred.id)
        candidates = (
            await s.scalars(
                select(Credential).where(
                    Credential.status == ACTIVE,
                    Credential.rotation_days.is_not(None),
                    Credential.rotation_reminded_at.is_(None),
                )
            )
        ).all()
        due = [cred for cred in candidates if rotation_due(cred, now)]
        for cred in due:
            cred.rotation_reminded_at = now
            await publish(
                s,
                cred.tenant_id,
                "vault.credential_rotation_due",
                {
                    "credential_id": cred.id,
                    "name": cred.name,
                    "rotated_at": cred.rotated_at.isoformat(),
                },
            )
            audit.record(s, cred.tenant_id, SYSTEM, "rotation_reminder", now, credential_id=cred.id)
        purged = await _purge(s, vault, now)
        dropped = await s.execute(
            delete(DecryptToken).where(DecryptToken.expires_at < now - SPENT_TOKENS_KEPT)
        )
    result = CheckResult(
        len(expiring),
        len(due),
        purged,
        int(dropped.rowcount),  # type: ignore[attr-defined]
    )
    if expiring or due or purged:
        log.info("vault_lifecycle", expiring=len(expiring), rotation_due=len(due), purged=purged)
    return result


async def _purge(session: AsyncSession, vault: Vault, now: datetime) -> int:
    """Delete credentials archived longer than the retention period (audit rows stay)."""
    cutoff = now - timedelta(days=vault.settings.vault_purge_days)
    old = (
        await session.scalars(
            select(Credential).where(Credential.status == ARCHIVED, Credential.archived_at < cutoff)
        )
    ).all()
    for cred in old:
        audit.record(session, cred.tenant_id, SYSTEM, "purge", now, credential_id=cred.id)
        await session.delete(cred)
    return len(old)


async def run_forever(vault: Vault, stop: asyncio.Event) -> None:
    """Run :func:`run_checks` every ``vault_check_seconds`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            await run_checks(vault)
        except Exception:
            log.exception("vault_lifecycle_failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), vault.settings.vault_check_seconds)
