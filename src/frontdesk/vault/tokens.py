"""Runtime access (V3): short-lived, single-use decrypt tokens scoped to a credential and service.

The plaintext leaves the vault only here. ``mint`` issues a token (shown once, stored hashed);
``redeem`` consumes it atomically (an UPDATE that matches only an unused, unexpired token of
the right service and credential), decrypts, counts the use, audits it and watches for bursts.
``reveal`` does both in one go for internal callers (channel adapters, workflow HTTP nodes, the
LLM gateway); they get a :class:`SecretValue` whose ``repr`` and ``str`` never show the value.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)

from frontdesk.core.auth import hash_secret
from frontdesk.core.crypto import DecryptionError
from frontdesk.core.db import Executor
from frontdesk.core.ids import new_id
from frontdesk.core.logging import get_logger
from frontdesk.core.outbox import publish
from frontdesk.vault import audit
from frontdesk.vault.audit import SYSTEM, Actor
from frontdesk.vault.errors import CredentialNotFound, CredentialUnavailable, TokenRejected
from frontdesk.vault.models import (
    ACTIVE,
    Credential,
    CredentialReference,
    CredentialVersion,
    DecryptToken,
    VaultAudit,
)
from frontdesk.vault.service import Vault
from frontdesk.vault.types import CredentialValue

TOKEN_PREFIX = "fdv_"  # noqa: S105 (a prefix, not a secret)
log = get_logger("frontdesk.vault")

# The decrypt path's statements, built once: SQLAlchemy then reuses their compiled form, and
# building expressions anew on every call cost more than running them. Core rows, not ORM
# objects: building the entity cost more than the statement.
_TOKENS = cast(Table, DecryptToken.__table__)
_CREDENTIALS = cast(Table, Credential.__table__)
_VERSIONS = cast(Table, CredentialVersion.__table__)
_REFERENCES = cast(Table, CredentialReference.__table__)
_COLUMNS = ("name", "type", "version", "status", "custom_schema")
# The consuming UPDATE's RETURNING reads the token's credential with it, in one trip. Its
# outer columns are spelled out: SQLAlchemy writes SQLite's RETURNING without table names,
# which would bind them to the subquery's own table.
_TOKEN_CREDENTIAL: ColumnElement[str] = literal_column("vault_decrypt_tokens.credential_id")
_OWN_CREDENTIAL = (_CREDENTIALS.c.id == _TOKEN_CREDENTIAL) & (
    _CREDENTIALS.c.tenant_id == literal_column("vault_decrypt_tokens.tenant_id")
)
_CONSUME = (  # matches only an unused, unexpired token of the tenant and service
    update(_TOKENS)
    .where(
        _TOKENS.c.tenant_id == bindparam("b_tenant_id"),
        _TOKENS.c.token_hash == bindparam("b_token_hash"),
        _TOKENS.c.service == bindparam("b_service"),
        _TOKENS.c.used_at.is_(None),
        _TOKENS.c.expires_at > bindparam("b_now"),
    )
    .values(used_at=bindparam("b_now"))
    .returning(
        _TOKENS.c.credential_id.label("id"),
        _TOKENS.c.tenant_id,
        _TOKENS.c.reason,
        *(
            select(_CREDENTIALS.c[name]).where(_OWN_CREDENTIAL).scalar_subquery().label(name)
            for name in _COLUMNS
        ),
        select(_VERSIONS.c.ciphertext)
        .where(
            _VERSIONS.c.credential_id == _TOKEN_CREDENTIAL,
            _VERSIONS.c.version
            == select(_CREDENTIALS.c.version).where(_OWN_CREDENTIAL).scalar_subquery(),
        )
        .scalar_subquery()
        .label("ciphertext"),
    )
)
_CONSUME_FOR_CREDENTIAL = _CONSUME.where(_TOKENS.c.credential_id == bindparam("b_credential_id"))
_ISSUE = insert(_TOKENS)
_READ = (  # a credential with its current ciphertext
    select(
        *_CREDENTIALS.c["id", "tenant_id", *_COLUMNS], _VERSIONS.c.ciphertext.label("ciphertext")
    )
    .join_from(
        _CREDENTIALS,
        _VERSIONS,
        (_VERSIONS.c.credential_id == _CREDENTIALS.c.id)
        & (_VERSIONS.c.version == _CREDENTIALS.c.version),
    )
    .where(
        _CREDENTIALS.c.tenant_id == bindparam("b_tenant_id"), _CREDENTIALS.c.id == bindparam("b_id")
    )
)
_COUNT_REFERENCE = (
    update(_REFERENCES)
    .where(
        _REFERENCES.c.credential_id == bindparam("b_credential_id"),
        _REFERENCES.c.kind == bindparam("b_kind"),
        _REFERENCES.c.ref_id == bindparam("b_ref_id"),
    )
    .values(use_count=_REFERENCES.c.use_count + 1, last_used_at=bindparam("b_now"))
)
_AUDIT = cast(Table, VaultAudit.__table__)
# Writes the decrypt's audit row and, in the same trip, counts the credential's other decrypts
# of the last minute, which the burst watch compares with its threshold. The row just written
# is left out by id: SQLite's RETURNING sees it, PostgreSQL's does not. A trigger (migration
# 0016) counts the use on the credential (``use_count``, ``last_used_at``).
_AUDIT_DECRYPT = insert(_AUDIT).returning(
    select(func.count())
    .select_from(
        select(_AUDIT.c.id)
        .where(
            _AUDIT.c.credential_id == bindparam("b_credential_id"),
            _AUDIT.c.action == "decrypt",
            _AUDIT.c.at > bindparam("b_since"),
            _AUDIT.c.id != bindparam("b_audit_id"),
        )
        .limit(bindparam("b_cap"))
        .subquery()
    )
    .scalar_subquery()
)


class SecretValue:
    """A decrypted credential value that will not print itself."""

    __slots__ = ("_value", "credential_id", "type", "version")

    def __init__(self, credential_id: str, type: str, version: int, value: CredentialValue):
        self.credential_id = credential_id
        self.type = type
        self.version = version
        self._value = value

    def __repr__(self) -> str:
        return f"SecretValue({self.type} {self.credential_id} v{self.version}: *****)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a SecretValue cannot be pickled")

    @property
    def value(self) -> CredentialValue:
        """The typed value (e.g. :class:`~frontdesk.vault.types.ApiKey`). Handle with care."""
        return self._value

    def reveal(self) -> dict[str, Any]:
        """The value as plain JSON data."""
        return self._value.model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class Minted:
    """A new decrypt token (the token itself is shown only this once)."""

    token: str
    credential_id: str
    service: str
    expires_at: datetime


async def mint(
    vault: Vault, tenant_id: str, actor: Actor, credential_id: str, service: str, reason: str
) -> Minted:
    """Issue a decrypt token for one active credential and one service."""
    async with vault.db.tenant_tx(tenant_id) as s:
        await vault.usable(s, tenant_id, credential_id)
        now = vault.clock.now()
        return await _issue(vault, s, tenant_id, actor, credential_id, service, reason, now)


async def _issue(
    vault: Vault,
    session: Executor,
    tenant_id: str,
    actor: Actor,
    credential_id: str,
    service: str,
    reason: str,
    now: datetime,
    used: bool = False,
) -> Minted:
    """Store a new token (hashed, ``used`` already or not) and audit its issue."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=vault.settings.vault_token_seconds)
    row = {
        "id": new_id(),
        "created_at": now,
        "tenant_id": tenant_id,
        "token_hash": hash_secret(token),
        "credential_id": credential_id,
        "service": service,
        "reason": reason,
        "actor": actor.id,
        "expires_at": expires,
        "used_at": now if used else None,
    }
    await session.execute(_ISSUE, row)
    await audit.write(
        session, tenant_id, actor, "token", now, credential_id=credential_id, service=service,
        reason=reason,
    )  # fmt: skip
    return Minted(token, credential_id, service, expires)


async def redeem(
    vault: Vault,
    tenant_id: str,
    actor: Actor,
    token: str,
    service: str,
    credential_id: str | None = None,
    ref: tuple[str, str] | None = None,
) -> SecretValue:
    """Consume a token and return the credential's value, or raise :class:`TokenRejected`.

    A rejection consumes nothing and is audited; its message says why, never what.
    """
    try:
        async with vault.db.tenant_conn(tenant_id, inline=True) as c:
            secret = await _consume(vault, c, tenant_id, actor, token, service, credential_id, ref)
    except (CredentialUnavailable, DecryptionError) as e:
        # Rolled back, so the token stays unused; the failed access is still on record.
        await _reject(vault, tenant_id, actor, token, service, credential_id, e.detail)
        raise
    if secret is None:
        raise await _reject(vault, tenant_id, actor, token, service, credential_id)
    return secret


async def reveal(
    vault: Vault,
    tenant_id: str,
    credential_id: str,
    service: str,
    reason: str,
    actor: Actor = SYSTEM,
    ref: tuple[str, str] | None = None,
) -> SecretValue:
    """Issue a token and redeem it in one transaction: the internal callers' only way in.

    Audited as an API decrypt is (a ``token`` row, then a ``decrypt`` row). ``ref`` (kind, id)
    names the channel, bot or workflow using it, to count its use.
    """
    async with vault.db.tenant_conn(tenant_id, inline=True) as c:
        now = vault.clock.now()
        read = await c.execute(_READ, {"b_tenant_id": tenant_id, "b_id": credential_id})
        cred = _usable(read.first())  # refuses an unusable one first
        await _issue(vault, c, tenant_id, actor, credential_id, service, reason, now, used=True)
        return await _decrypt(vault, c, cred, actor, service, reason, ref, now)


async def _consume(
    vault: Vault,
    session: Executor,
    tenant_id: str,
    actor: Actor,
    token: str,
    service: str,
    credential_id: str | None,
    ref: tuple[str, str] | None,
) -> SecretValue | None:
    now = vault.clock.now()
    params = {
        "b_tenant_id": tenant_id,
        "b_token_hash": hash_secret(token),
        "b_service": service,
        "b_now": now,
        "b_credential_id": credential_id,
    }
    consume = _CONSUME if credential_id is None else _CONSUME_FOR_CREDENTIAL
    row = (await session.execute(consume, params)).first()
    if row is None:
        return None
    cred = _usable(row if row.status is not None else None)
    return await _decrypt(vault, session, cred, actor, service, row.reason, ref, now)


def _usable(cred: Row[*tuple[Any, ...]] | None) -> Row[*tuple[Any, ...]]:
    """``cred`` (its columns and current ``ciphertext``) if it exists and is active."""
    if cred is None:
        raise CredentialNotFound("No such credential")
    if cred.status != ACTIVE:
        raise CredentialUnavailable(f"The credential is {cred.status}")
    return cred


async def _decrypt(
    vault: Vault,
    session: Executor,
    cred: Row[Any],
    actor: Actor,
    service: str,
    reason: str,
    ref: tuple[str, str] | None,
    now: datetime,
) -> SecretValue:
    """Decrypt ``cred`` (a row of ``_READ``'s columns), count the reference, audit, watch."""
    value = await vault.unseal(session, cred, cred.ciphertext)
    if ref is not None:
        await _count_reference(session, cred, ref, now)
    limit = vault.settings.vault_anomaly_per_minute
    entry = audit.entry(
        cred.tenant_id, actor, "decrypt", now, credential_id=cred.id, service=service, reason=reason
    )
    # Counting stops at limit + 2: enough to see the crossing, and the cost stays bounded.
    earlier = await session.scalar(
        _AUDIT_DECRYPT,
        {
            **entry,
            "b_credential_id": cred.id,
            "b_since": now - timedelta(minutes=1),
            "b_audit_id": entry["id"],
            "b_cap": limit + 1,
        },
    )
    recent = earlier + 1
    if recent == limit + 1:
        await _raise_anomaly(session, cred, recent)
    return SecretValue(cred.id, cred.type, cred.version, value)


async def _count_reference(
    session: Executor, cred: Row[Any], ref: tuple[str, str], now: datetime
) -> None:
    await session.execute(
        _COUNT_REFERENCE,
        {"b_credential_id": cred.id, "b_kind": ref[0], "b_ref_id": ref[1], "b_now": now},
    )


async def _raise_anomaly(session: Executor, cred: Row[Any], per_minute: int) -> None:
    """Decrypts of ``cred`` in the last minute just passed the threshold: say so, once."""
    log.warning("vault_decrypt_anomaly", credential_id=cred.id, per_minute=per_minute)
    await publish(
        session,
        cred.tenant_id,
        "vault.credential_anomaly",
        {"credential_id": cred.id, "name": cred.name, "decrypts_last_minute": per_minute},
    )


async def _reject(
    vault: Vault,
    tenant_id: str,
    actor: Actor,
    token: str,
    service: str,
    credential_id: str | None,
    failure: str | None = None,
) -> TokenRejected:
    """Audit a refused decrypt (``failure``: why, when the caller already has an error)."""
    now = vault.clock.now()
    async with vault.db.tenant_tx(tenant_id) as s:
        row = await s.scalar(
            select(DecryptToken).where(
                DecryptToken.tenant_id == tenant_id,
                DecryptToken.token_hash == hash_secret(token),
            )
        )
        why = failure or _why(row, now, service, credential_id)
        audit.record(
            s,
            tenant_id,
            actor,
            "decrypt",
            now,
            credential_id=row.credential_id if row else None,
            service=service,
            reason=why,
            outcome="denied",
        )
    return TokenRejected(f"The decrypt token was refused: {why}")


def _why(row: DecryptToken | None, now: datetime, service: str, credential_id: str | None) -> str:
    if row is None:
        return "unknown token"
    if row.used_at is not None:
        return "already used"
    if row.expires_at <= now:
        return "expired"
    if row.service != service:
        return "issued for another service"
    if credential_id is not None and row.credential_id != credential_id:
        return "issued for another credential"
    return "not valid"
