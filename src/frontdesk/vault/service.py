"""Credential lifecycle: create, read (masked), update, rotate, revoke, archive, usage.

Every value is sealed with the tenant's data key, its AES-GCM associated data naming the
tenant (added by the key ring), the credential and the version: a ciphertext copied to another
row, version or tenant no longer decrypts. Every change and every read is audited.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.clock import Clock, SystemClock
from frontdesk.core.crypto import KeyRing
from frontdesk.core.db import Database, Executor
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.core.outbox import publish
from frontdesk.settings import Settings
from frontdesk.vault import audit
from frontdesk.vault.audit import Actor
from frontdesk.vault.errors import (
    CredentialInUse,
    CredentialNotFound,
    CredentialUnavailable,
    InvalidCredentialValue,
    ValueTooLarge,
)
from frontdesk.vault.models import (
    ACTIVE,
    ARCHIVED,
    REVOKED,
    Credential,
    CredentialReference,
    CredentialVersion,
)
from frontdesk.vault.schemas import CredentialCreate, CredentialPublic, CredentialUpdate
from frontdesk.vault.types import (
    MAX_SCHEMA_BYTES,
    CredentialValue,
    check_custom_schema,
    parse_value,
)

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime

MAX_METADATA_BYTES = 16384
REFERENCE_KINDS = frozenset({"channel", "bot", "workflow", "integration", "llm"})


def aad(credential_id: str, version: int) -> bytes:
    """The associated data binding a ciphertext to its credential and version."""
    return f"vault:{credential_id}:{version}".encode()


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


class Sealed(Protocol):
    """What unsealing a credential's value needs: a :class:`Credential` or a row of its columns."""

    id: str
    tenant_id: str
    type: str
    version: int
    custom_schema: dict[str, Any] | None


class Vault:
    """The vault's services over one database, key ring, settings and clock."""

    def __init__(
        self, db: Database, keyring: KeyRing, settings: Settings, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.settings = settings
        self.clock: Clock = clock or SystemClock()

    @classmethod
    def of(cls, runtime: Runtime) -> Vault:
        """The vault over a process runtime's database, key ring, settings and clock."""
        return cls(runtime.db, runtime.keyring, runtime.settings, runtime.clock)

    # -- values ----------------------------------------------------------------------------

    def parse(
        self, type_name: str, raw: dict[str, Any], schema: dict[str, Any] | None
    ) -> CredentialValue:
        """Validate a value against its type (and pinned schema), within the size cap."""
        if _json_size(raw) > self.settings.vault_max_value_bytes:
            raise ValueTooLarge(
                f"The value is larger than {self.settings.vault_max_value_bytes} bytes"
            )
        return parse_value(type_name, raw, schema)

    async def seal(
        self, session: AsyncSession, cred: Credential, version: int, value: CredentialValue
    ) -> bytes:
        """Encrypt ``value`` as ``version`` of ``cred``."""
        plaintext = value.model_dump_json().encode()
        return await self.keyring.encrypt(session, cred.tenant_id, plaintext, aad(cred.id, version))

    async def open(self, session: AsyncSession, cred: Credential) -> CredentialValue:
        """Decrypt the current version of ``cred`` (raises ``DecryptionError`` if tampered)."""
        blob = await session.scalar(
            select(CredentialVersion.ciphertext).where(
                CredentialVersion.credential_id == cred.id,
                CredentialVersion.version == cred.version,
                CredentialVersion.tenant_id == cred.tenant_id,
            )
        )
        if blob is None:
            raise CredentialNotFound("The credential has no stored value")
        return await self.unseal(session, cred, blob)

    async def unseal(self, session: Executor, cred: Sealed, blob: bytes) -> CredentialValue:
        """Decrypt ``blob`` as the current version of ``cred``."""
        plaintext = await self.keyring.decrypt(
            session, cred.tenant_id, blob, aad(cred.id, cred.version)
        )
        return parse_value(cred.type, json.loads(plaintext), cred.custom_schema)

    # -- reads -----------------------------------------------------------------------------

    async def get(self, session: AsyncSession, tenant_id: str, credential_id: str) -> Credential:
        """One credential of the tenant, or :class:`CredentialNotFound`."""
        cred = await session.scalar(
            select(Credential).where(
                Credential.tenant_id == tenant_id, Credential.id == credential_id
            )
        )
        if cred is None:
            raise CredentialNotFound("No such credential")
        return cred

    async def usable(self, session: AsyncSession, tenant_id: str, credential_id: str) -> Credential:
        """An active credential, or an error saying why it cannot be used."""
        cred = await self.get(session, tenant_id, credential_id)
        if cred.status != ACTIVE:
            raise CredentialUnavailable(f"The credential is {cred.status}")
        return cred

    def present(self, cred: Credential) -> CredentialPublic:
        """The public, masked view of a credential, with its expiry and rotation flags."""
        now = self.clock.now()
        body = CredentialPublic.model_validate(cred)
        warn = timedelta(days=self.settings.vault_expiry_warning_days)
        body.expires_soon = cred.expires_at is not None and cred.expires_at <= now + warn
        body.rotation_due = rotation_due(cred, now)
        return body

    async def list_credentials(
        self,
        tenant_id: str,
        actor: Actor,
        *,
        type: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Credential]:
        """The tenant's credentials (archived ones only when asked for), by name."""
        async with self.db.tenant_tx(tenant_id) as s:
            stmt = select(Credential).where(Credential.tenant_id == tenant_id)
            if type:
                stmt = stmt.where(Credential.type == type)
            stmt = stmt.where(
                Credential.status == status if status else Credential.status != ARCHIVED
            )
            stmt = stmt.order_by(Credential.name).limit(limit).offset(offset)
            rows = list((await s.scalars(stmt)).all())
            audit.record(s, tenant_id, actor, "list", self.clock.now())
        return rows

    async def read(self, tenant_id: str, actor: Actor, credential_id: str) -> Credential:
        """One credential (masked), audited as a read."""
        async with self.db.tenant_tx(tenant_id) as s:
            cred = await self.get(s, tenant_id, credential_id)
            audit.record(s, tenant_id, actor, "read", self.clock.now(), credential_id=cred.id)
        return cred

    async def versions(self, tenant_id: str, credential_id: str) -> list[CredentialVersion]:
        """A credential's versions, newest first."""
        async with self.db.tenant_session(tenant_id) as s:
            await self.get(s, tenant_id, credential_id)
            rows = await s.scalars(
                select(CredentialVersion)
                .where(
                    CredentialVersion.tenant_id == tenant_id,
                    CredentialVersion.credential_id == credential_id,
                )
                .order_by(CredentialVersion.version.desc())
            )
            return list(rows.all())

    async def usage(
        self, tenant_id: str, credential_id: str
    ) -> tuple[Credential, list[CredentialReference]]:
        """A credential and what uses it."""
        async with self.db.tenant_session(tenant_id) as s:
            cred = await self.get(s, tenant_id, credential_id)
            return cred, await _references(s, tenant_id, credential_id)

    # -- changes ---------------------------------------------------------------------------

    async def create(self, tenant_id: str, actor: Actor, data: CredentialCreate) -> Credential:
        """Validate, encrypt and store a new credential (version 1)."""
        schema = self._pinned_schema(data.type, data.custom_schema)
        value = self.parse(data.type, data.value, schema)
        _check_metadata(data.metadata)
        now = self.clock.now()
        async with self.db.tenant_tx(tenant_id) as s:
            await _name_free(s, tenant_id, data.name)
            cred = Credential(
                id=new_id(),
                tenant_id=tenant_id,
                name=data.name,
                type=data.type,
                description=data.description,
                meta=data.metadata,
                custom_schema=schema,
                masked=value.masked(),
                version=1,
                status=ACTIVE,
                expires_at=data.expires_at or value.natural_expiry(),
                rotation_days=data.rotation_days,
                rotated_at=now,
                use_count=0,
                created_at=now,
                updated_at=now,
            )
            s.add(cred)
            await s.flush()
            s.add(self._version(cred, 1, await self.seal(s, cred, 1, value), actor, "created"))
            audit.record(s, tenant_id, actor, "create", now, credential_id=cred.id)
            await publish(s, tenant_id, "vault.credential_created", _event(cred))
        return cred

    def _version(
        self, cred: Credential, version: int, blob: bytes, actor: Actor, reason: str
    ) -> CredentialVersion:
        return CredentialVersion(
            tenant_id=cred.tenant_id,
            credential_id=cred.id,
            version=version,
            ciphertext=blob,
            created_by=actor.id,
            reason=reason,
            created_at=self.clock.now(),
        )

    def _pinned_schema(
        self, type_name: str, schema: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        if type_name != "custom":
            if schema is not None:
                raise InvalidCredentialValue("Only custom credentials take a custom_schema")
            return None
        if schema is None:
            raise InvalidCredentialValue("A custom credential needs a custom_schema")
        if _json_size(schema) > MAX_SCHEMA_BYTES:
            raise ValueTooLarge(f"The custom schema is larger than {MAX_SCHEMA_BYTES} bytes")
        check_custom_schema(schema)
        return schema

    async def update(
        self, tenant_id: str, actor: Actor, credential_id: str, data: CredentialUpdate
    ) -> Credential:
        """Change the non-secret details of a credential."""
        changes = data.model_dump(exclude_unset=True)
        for required in ("name", "description", "metadata"):
            if required in changes and changes[required] is None:
                raise ValidationFailed(f"{required} cannot be null")
        if "metadata" in changes:
            _check_metadata(changes["metadata"])
            changes["meta"] = changes.pop("metadata")
        async with self.db.tenant_tx(tenant_id) as s:
            cred = await self.get(s, tenant_id, credential_id)
            if cred.status == ARCHIVED:
                raise CredentialUnavailable("The credential is archived")
            if changes.get("name") and changes["name"] != cred.name:
                await _name_free(s, tenant_id, changes["name"])
            if "expires_at" in changes:
                cred.expiry_alerted_at = None
            for key, value in changes.items():
                setattr(cred, key, value)
            cred.updated_at = self.clock.now()
            audit.record(s, tenant_id, actor, "update", cred.updated_at, credential_id=cred.id)
        return cred

    async def rotate(
        self,
        tenant_id: str,
        actor: Actor,
        credential_id: str,
        raw: dict[str, Any],
        reason: str,
        expires_at: datetime | None = None,
    ) -> Credential:
        """Store a new value as the next version; older versions stay in the history."""
        async with self.db.tenant_tx(tenant_id) as s:
            cred = await self.usable(s, tenant_id, credential_id)
            value = self.parse(cred.type, raw, cred.custom_schema)
            now = self.clock.now()
            version = cred.version + 1
            s.add(
                self._version(
                    cred, version, await self.seal(s, cred, version, value), actor, reason
                )
            )
            cred.version = version
            cred.masked = value.masked()
            cred.rotated_at = cred.updated_at = now
            cred.expires_at = expires_at or value.natural_expiry()
            cred.expiry_alerted_at = cred.rotation_reminded_at = None
            audit.record(s, tenant_id, actor, "rotate", now, credential_id=cred.id, reason=reason)
            await publish(s, tenant_id, "vault.credential_rotated", _event(cred))
        return cred

    async def revoke(
        self, tenant_id: str, actor: Actor, credential_id: str, reason: str
    ) -> tuple[Credential, list[CredentialReference]]:
        """Revoke a credential and flag every dependent; return them."""
        async with self.db.tenant_tx(tenant_id) as s:
            cred = await self.usable(s, tenant_id, credential_id)
            now = self.clock.now()
            cred.status, cred.revoked_at, cred.updated_at = REVOKED, now, now
            refs = await self._flag(s, cred, f"credential revoked: {reason}")
            audit.record(s, tenant_id, actor, "revoke", now, credential_id=cred.id, reason=reason)
            await publish(
                s, tenant_id, "vault.credential_revoked", {**_event(cred), **_dependents(refs)}
            )
        return cred, refs

    async def archive(
        self, tenant_id: str, actor: Actor, credential_id: str, *, force: bool = False
    ) -> Credential:
        """Soft-delete: archived now, purged after the retention period.

        A credential still referenced is refused (the error lists the dependents) unless
        ``force``, which archives it and flags them.
        """
        async with self.db.tenant_tx(tenant_id) as s:
            cred = await self.get(s, tenant_id, credential_id)
            if cred.status == ARCHIVED:
                raise CredentialUnavailable("The credential is already archived")
            refs = await _references(s, tenant_id, cred.id)
            if refs and not force:
                raise CredentialInUse(
                    f"The credential is used by {len(refs)} dependents; revoke it or delete "
                    "with force=true",
                    **_dependents(refs),
                )
            now = self.clock.now()
            cred.status, cred.archived_at, cred.updated_at = ARCHIVED, now, now
            await self._flag(s, cred, "credential deleted")
            audit.record(s, tenant_id, actor, "delete", now, credential_id=cred.id)
            await publish(
                s, tenant_id, "vault.credential_archived", {**_event(cred), **_dependents(refs)}
            )
        return cred

    async def _flag(
        self, session: AsyncSession, cred: Credential, reason: str
    ) -> list[CredentialReference]:
        refs = await _references(session, cred.tenant_id, cred.id)
        for ref in refs:
            ref.flagged_at, ref.flag_reason = self.clock.now(), reason[:500]
        return refs


def rotation_due(cred: Credential, now: datetime) -> bool:
    """True when the credential's rotation period has passed since its last rotation."""
    return (
        cred.status == ACTIVE
        and cred.rotation_days is not None
        and cred.rotated_at + timedelta(days=cred.rotation_days) <= now
    )


async def record_reference(
    session: AsyncSession, tenant_id: str, credential_id: str, kind: str, ref_id: str
) -> Credential:
    """Note that a channel, bot or workflow uses a credential (call in your own transaction).

    Refused (409, naming the credential) when it is missing, revoked or archived, so nothing
    new starts depending on it: the dependent could not run. Returns the credential, for the
    caller's checks of its type.
    """
    if kind not in REFERENCE_KINDS:
        raise ValidationFailed(f"Unknown reference kind {kind!r}; known: {sorted(REFERENCE_KINDS)}")
    cred = await session.scalar(
        select(Credential).where(Credential.tenant_id == tenant_id, Credential.id == credential_id)
    )
    if cred is None:
        raise CredentialUnavailable(f"Credential {credential_id} does not exist")
    if cred.status != ACTIVE:
        raise CredentialUnavailable(f"Credential {credential_id} is {cred.status}")
    ref = await session.scalar(
        select(CredentialReference).where(
            CredentialReference.credential_id == credential_id,
            CredentialReference.kind == kind,
            CredentialReference.ref_id == ref_id,
        )
    )
    if ref is None:
        ref = CredentialReference(
            tenant_id=tenant_id, credential_id=credential_id, kind=kind, ref_id=ref_id, use_count=0
        )
        session.add(ref)
        await session.flush()
    return cred


async def forget_references(
    session: AsyncSession,
    tenant_id: str,
    kind: str,
    ref_id: str | None = None,
    keep: set[tuple[str, str]] | None = None,
) -> None:
    """Drop the tenant's ``kind`` references (only ``ref_id``'s when given), except ``keep``.

    ``keep`` holds (credential id, ref id) pairs still in use.
    """
    where = [CredentialReference.tenant_id == tenant_id, CredentialReference.kind == kind]
    if ref_id is not None:
        where.append(CredentialReference.ref_id == ref_id)
    refs = await session.scalars(select(CredentialReference).where(*where))
    for ref in refs.all():
        if (ref.credential_id, ref.ref_id) not in (keep or set()):
            await session.delete(ref)


async def _references(
    session: AsyncSession, tenant_id: str, credential_id: str
) -> list[CredentialReference]:
    rows = await session.scalars(
        select(CredentialReference)
        .where(
            CredentialReference.tenant_id == tenant_id,
            CredentialReference.credential_id == credential_id,
        )
        .order_by(CredentialReference.kind, CredentialReference.ref_id)
    )
    return list(rows.all())


async def _name_free(session: AsyncSession, tenant_id: str, name: str) -> None:
    taken = await session.scalar(
        select(Credential.status).where(Credential.tenant_id == tenant_id, Credential.name == name)
    )
    if taken is not None:
        raise Conflict(f"A credential named {name!r} already exists ({taken})")


def _check_metadata(metadata: dict[str, Any]) -> None:
    if _json_size(metadata) > MAX_METADATA_BYTES:
        raise ValueTooLarge(f"metadata is larger than {MAX_METADATA_BYTES} bytes")


def _event(cred: Credential) -> dict[str, Any]:
    return {"credential_id": cred.id, "name": cred.name, "type": cred.type}


def _dependents(refs: list[CredentialReference]) -> dict[str, Any]:
    return {"dependents": [{"kind": r.kind, "ref_id": r.ref_id} for r in refs]}
