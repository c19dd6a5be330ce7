"""Vault routes: credentials (masked), versions, usage, tests, decrypt tokens, audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, require
from frontdesk.core.ratelimit import Bucket
from frontdesk.vault import audit, probes, tokens
from frontdesk.vault.audit import Actor, AuditFilter
from frontdesk.vault.schemas import (
    AuditPublic,
    CredentialCreate,
    CredentialPublic,
    CredentialRotate,
    CredentialUpdate,
    DecryptedPublic,
    DecryptRequest,
    ExportFormat,
    ReasonBody,
    ReferencePublic,
    RevokedPublic,
    TestPublic,
    TokenPublic,
    TokenRequest,
    UsagePublic,
    VersionPublic,
)
from frontdesk.vault.service import Vault
from frontdesk.vault.types import TYPES, type_schemas

router = APIRouter(prefix="/api/v1/vault", tags=["vault"])
NO_STORE = {"Cache-Control": "no-store"}


def _limited(permission: str):  # type: ignore[no-untyped-def]
    """``require(permission)``, then the tenant's vault rate limit."""

    # A default, not an annotation: annotations are strings here, resolved without ``permission``.
    async def check(
        runtime: RuntimeDep, principal: Principal = Depends(require(permission))
    ) -> Principal:
        s = runtime.settings
        await runtime.limiter.hit(
            Bucket(
                f"vault:{principal.tenant_id}", s.vault_rate_per_tenant, s.vault_burst_per_tenant
            )
        )
        return principal

    return check


Reader = Annotated[Principal, Depends(_limited("vault:read"))]
Writer = Annotated[Principal, Depends(_limited("vault:write"))]
Decrypter = Annotated[Principal, Depends(_limited("vault:decrypt"))]
Auditor = Annotated[Principal, Depends(_limited("vault:audit"))]


async def get_vault(request: Request) -> Vault:
    """The app's vault service."""
    vault: Vault = request.app.state.vault
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]


def actor_of(request: Request, principal: Principal) -> Actor:
    """The audited actor: the API key, the client address and its user agent."""
    return Actor(
        f"apikey:{principal.key_id}",
        request.client.host if request.client else None,
        request.headers.get("user-agent"),
    )


@router.get("/types")
async def list_types(principal: Reader) -> dict[str, object]:
    """The credential types and the JSON Schema of each one's value."""
    return {"types": list(TYPES), "schemas": type_schemas()}


@router.get("/credentials", response_model=list[CredentialPublic])
async def list_credentials(
    request: Request,
    vault: VaultDep,
    principal: Reader,
    type: str | None = None,
    status: Annotated[str | None, Query(pattern="^(active|revoked|archived)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CredentialPublic]:
    """The tenant's credentials, masked (archived ones only with ``status=archived``)."""
    rows = await vault.list_credentials(
        principal.tenant_id,
        actor_of(request, principal),
        type=type,
        status=status,
        limit=limit,
        offset=offset,
    )
    return [vault.present(row) for row in rows]


@router.post("/credentials", response_model=CredentialPublic, status_code=201)
async def create_credential(
    data: CredentialCreate, request: Request, vault: VaultDep, principal: Writer
) -> CredentialPublic:
    """Store a new credential (validated against its type, encrypted)."""
    cred = await vault.create(principal.tenant_id, actor_of(request, principal), data)
    return vault.present(cred)


@router.get("/credentials/{credential_id}", response_model=CredentialPublic)
async def get_credential(
    credential_id: str, request: Request, vault: VaultDep, principal: Reader
) -> CredentialPublic:
    """One credential, masked."""
    cred = await vault.read(principal.tenant_id, actor_of(request, principal), credential_id)
    return vault.present(cred)


@router.patch("/credentials/{credential_id}", response_model=CredentialPublic)
async def update_credential(
    credential_id: str,
    data: CredentialUpdate,
    request: Request,
    vault: VaultDep,
    principal: Writer,
) -> CredentialPublic:
    """Change the name, description, metadata, expiry or rotation period."""
    cred = await vault.update(
        principal.tenant_id, actor_of(request, principal), credential_id, data
    )
    return vault.present(cred)


@router.post("/credentials/{credential_id}/rotate", response_model=CredentialPublic)
async def rotate_credential(
    credential_id: str,
    data: CredentialRotate,
    request: Request,
    vault: VaultDep,
    principal: Writer,
) -> CredentialPublic:
    """Store a new value as the next version, with a reason."""
    cred = await vault.rotate(
        principal.tenant_id,
        actor_of(request, principal),
        credential_id,
        data.value,
        data.reason,
        data.expires_at,
    )
    return vault.present(cred)


@router.get("/credentials/{credential_id}/versions", response_model=list[VersionPublic])
async def list_versions(credential_id: str, vault: VaultDep, principal: Reader) -> list[object]:
    """The version history (who, when, why), newest first."""
    return list(await vault.versions(principal.tenant_id, credential_id))


@router.post("/credentials/{credential_id}/revoke", response_model=RevokedPublic)
async def revoke_credential(
    credential_id: str, data: ReasonBody, request: Request, vault: VaultDep, principal: Writer
) -> RevokedPublic:
    """Revoke: the credential can no longer be decrypted; its dependents are flagged."""
    cred, refs = await vault.revoke(
        principal.tenant_id, actor_of(request, principal), credential_id, data.reason
    )
    return RevokedPublic(
        credential=vault.present(cred),
        dependents=[ReferencePublic.model_validate(ref) for ref in refs],
    )


@router.delete("/credentials/{credential_id}", status_code=204)
async def delete_credential(
    credential_id: str,
    request: Request,
    vault: VaultDep,
    principal: Writer,
    force: bool = False,
) -> Response:
    """Archive (soft delete; purged later). Refused while referenced unless ``force``."""
    await vault.archive(
        principal.tenant_id, actor_of(request, principal), credential_id, force=force
    )
    return Response(status_code=204)


@router.post("/credentials/{credential_id}/test", response_model=TestPublic)
async def test_credential(
    credential_id: str, request: Request, vault: VaultDep, principal: Writer
) -> TestPublic:
    """Validate the credential: an offline check per type, or a probe call where configured."""
    return await probes.test(
        vault, principal.tenant_id, actor_of(request, principal), credential_id
    )


@router.post("/credentials/{credential_id}/refresh", response_model=CredentialPublic)
async def refresh_credential(
    credential_id: str, request: Request, vault: VaultDep, principal: Writer
) -> CredentialPublic:
    """OAuth2: get fresh tokens from the provider's token URL, stored as the next version."""
    cred = await probes.refresh(
        vault, principal.tenant_id, actor_of(request, principal), credential_id
    )
    return vault.present(cred)


@router.get("/credentials/{credential_id}/usage", response_model=UsagePublic)
async def credential_usage(credential_id: str, vault: VaultDep, principal: Reader) -> UsagePublic:
    """Use count, last use, and the channels, bots and workflows that reference it."""
    cred, refs = await vault.usage(principal.tenant_id, credential_id)
    return UsagePublic(
        credential_id=cred.id,
        use_count=cred.use_count,
        last_used_at=cred.last_used_at,
        references=[ReferencePublic.model_validate(ref) for ref in refs],
    )


@router.post("/credentials/{credential_id}/tokens", response_model=TokenPublic, status_code=201)
async def create_token(
    credential_id: str,
    data: TokenRequest,
    request: Request,
    response: Response,
    vault: VaultDep,
    principal: Decrypter,
) -> TokenPublic:
    """A single-use decrypt token for one service, valid for five minutes."""
    minted = await tokens.mint(
        vault,
        principal.tenant_id,
        actor_of(request, principal),
        credential_id,
        data.service,
        data.reason,
    )
    response.headers.update(NO_STORE)
    return TokenPublic(
        token=minted.token,
        credential_id=minted.credential_id,
        service=minted.service,
        expires_at=minted.expires_at,
    )


@router.post("/decrypt", response_model=DecryptedPublic)
async def decrypt(
    data: DecryptRequest,
    request: Request,
    response: Response,
    vault: VaultDep,
    principal: Decrypter,
) -> DecryptedPublic:
    """Redeem a decrypt token: the only route that returns a plaintext value (audited)."""
    secret = await tokens.redeem(
        vault,
        principal.tenant_id,
        actor_of(request, principal),
        data.token,
        data.service,
        data.credential_id,
    )
    response.headers.update(NO_STORE)
    return DecryptedPublic(
        credential_id=secret.credential_id,
        type=secret.type,
        version=secret.version,
        value=secret.reveal(),
    )


def _filter(
    credential_id: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> AuditFilter:
    return AuditFilter(credential_id, action, actor, since, until)


AuditFilterDep = Annotated[AuditFilter, Depends(_filter)]


@router.get("/audit", response_model=list[AuditPublic])
async def list_audit(
    where: AuditFilterDep,
    vault: VaultDep,
    principal: Auditor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[object]:
    """Vault audit rows, newest first."""
    async with vault.db.tenant_session(principal.tenant_id) as session:
        return list(await audit.query(session, principal.tenant_id, where, limit, offset))


@router.get("/audit/export")
async def export_audit(
    where: AuditFilterDep,
    vault: VaultDep,
    principal: Auditor,
    format: ExportFormat = "csv",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> Response:
    """The audit rows as CSV or JSON lines (a file download)."""
    async with vault.db.tenant_session(principal.tenant_id) as session:
        rows = await audit.query(session, principal.tenant_id, where, limit)
    if format == "csv":
        body, media = audit.to_csv(rows), "text/csv"
    else:
        body, media = audit.to_jsonl(rows), "application/jsonl"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="vault-audit.{format}"'},
    )
