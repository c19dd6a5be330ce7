"""Credential values a process has revealed, kept by (credential id, version).

The internal callers that re-read their configuration every few seconds (the LLM gateway, the
channel directory) read each credential's current version with their configuration, then ask
here: a version seen before needs no decrypt; a new one (the credential was rotated) is
revealed once, audited and counted, and the older version forgotten. So a reload decrypts only
after a rotation, never often enough to look like a burst to the vault.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.vault import tokens
from frontdesk.vault.errors import CredentialUnavailable
from frontdesk.vault.models import ACTIVE, Credential
from frontdesk.vault.service import Vault
from frontdesk.vault.types import CredentialValue

Key = tuple[str, int]


async def active_versions(
    session: AsyncSession, tenant_id: str, credential_ids: set[str]
) -> dict[str, int]:
    """The current version of each of these credentials that is active (others are left out)."""
    if not credential_ids:
        return {}
    rows = await session.execute(
        select(Credential.id, Credential.version).where(
            Credential.tenant_id == tenant_id,
            Credential.id.in_(credential_ids),
            Credential.status == ACTIVE,
        )
    )
    return {credential_id: version for credential_id, version in rows}


class RevealedValues:
    """One process's memory of revealed values; concurrent first asks share one reveal."""

    def __init__(self, vault: Vault, service: str) -> None:
        self.vault = vault
        self.service = service
        self._values: dict[Key, CredentialValue] = {}
        self._pending: dict[Key, asyncio.Future[CredentialValue]] = {}
        self._reported: dict[str, str] = {}

    def report(self, subject: str, problem: str | None) -> bool:
        """Note ``subject``'s problem (``None``: it has none now); True when it is new.

        Callers reload every few seconds: they log a problem (a revoked credential) when it
        first appears or changes, not at every reload.
        """
        if problem is None:
            self._reported.pop(subject, None)
            return False
        if self._reported.get(subject) == problem:
            return False
        self._reported[subject] = problem
        return True

    async def get(
        self,
        tenant_id: str,
        credential_id: str,
        version: int | None,
        reason: str,
        ref: tuple[str, str],
    ) -> CredentialValue:
        """``version`` of the credential, revealed (in the vault's own transaction) if new here.

        ``version`` is what :func:`active_versions` read (``None``: not active, refused with
        :class:`CredentialUnavailable`). Raises what :func:`tokens.reveal` raises (not found,
        unavailable, tampered). Call it outside any write transaction: the reveal writes its
        audit rows.
        """
        if version is None:
            raise CredentialUnavailable("The credential is not active")
        key = (credential_id, version)
        known = self._values.get(key)
        if known is not None:
            return known
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[CredentialValue] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            secret = await tokens.reveal(
                self.vault, tenant_id, credential_id, self.service, reason, ref=ref
            )
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a failure with no other waiter is not "unhandled"
            raise
        except BaseException:
            future.cancel()  # this task was cancelled: so are the waiters sharing its reveal
            raise
        finally:
            del self._pending[key]
        for older in [k for k in self._values if k[0] == credential_id]:
            del self._values[older]
        if len(self._values) > 10_000:
            self._values.pop(next(iter(self._values)))
        self._values[(credential_id, secret.version)] = secret.value
        future.set_result(secret.value)
        return secret.value
