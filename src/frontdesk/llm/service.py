"""Tenant LLM settings (keys encrypted or in the vault), the key lookup, and usage reports."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Integer, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.clock import utcnow
from frontdesk.core.crypto import DecryptionError, KeyRing
from frontdesk.core.db import Database
from frontdesk.core.errors import ValidationFailed
from frontdesk.core.logging import get_logger
from frontdesk.llm.costs import usd
from frontdesk.llm.models import PICO, LLMSettings, LLMUsage
from frontdesk.llm.providers.registry import DEFAULT_MODELS, ENV_KEYS, KEYLESS
from frontdesk.llm.schemas import (
    LLMSettingsPublic,
    LLMSettingsUpdate,
    Preference,
    ProviderConfig,
    ProviderKind,
    ProviderSettingsIn,
    ProviderSettingsPublic,
    UsageGroup,
    UsageReport,
    UsageRow,
)
from frontdesk.settings import Settings
from frontdesk.vault.errors import CredentialNotFound, CredentialUnavailable
from frontdesk.vault.revealed import RevealedValues, active_versions
from frontdesk.vault.service import forget_references, record_reference
from frontdesk.vault.types import ApiKey

KEYS_AAD = b"llm-provider-keys"
VAULT_SERVICE = "llm.gateway"
log = get_logger("frontdesk.llm")


@dataclass(frozen=True)
class TenantLLM:
    """A tenant's resolved LLM configuration: usable providers (keys included) and policy."""

    providers: list[ProviderConfig]
    preference: Preference = "balanced"
    budget_pusd: int | None = None
    budget_action: str = "block"
    max_tokens_cap: int | None = None
    tone: str | None = None
    missing_keys: list[str] = field(default_factory=list)


def resolve_api_key(
    name: str, kind: str, stored: dict[str, str], vaulted: dict[str, str | None] | None = None
) -> str | None:
    """The one place keys come from: the vault, the tenant's stored key, then the environment.

    ``vaulted`` holds the keys revealed from the vault for the providers configured with a
    credential (``None`` when it could not be revealed: no fallback then). Otherwise the
    tenant's stored key, then ``FRONTDESK_LLM_<NAME>_API_KEY``, then the vendor's usual
    variable (e.g. ``OPENAI_API_KEY``).
    """
    if vaulted is not None and name in vaulted:
        return vaulted[name]
    if stored.get(name):
        return stored[name]
    env_name = f"FRONTDESK_LLM_{name.upper().replace('-', '_')}_API_KEY"
    return os.environ.get(env_name) or os.environ.get(ENV_KEYS[kind]) or None


def _config(entry: dict[str, Any], key: str | None) -> ProviderConfig:
    kind = cast(ProviderKind, entry["kind"])
    models = {**DEFAULT_MODELS[kind], **(entry.get("models") or {})}
    return ProviderConfig(
        name=entry["name"],
        kind=kind,
        api_key=key,
        base_url=entry.get("base_url"),
        models=models,
        extra_models=tuple(entry.get("extra_models") or ()),
        api_version=entry.get("api_version"),
    )


async def _stored_keys(
    session: AsyncSession, keyring: KeyRing, tenant_id: str, row: LLMSettings
) -> dict[str, str]:
    if not row.keys_encrypted:
        return {}
    plain = await keyring.decrypt(session, tenant_id, row.keys_encrypted, KEYS_AAD)
    keys: dict[str, str] = json.loads(plain)
    return keys


def _policy(row: LLMSettings | None) -> dict[str, Any]:
    """The :class:`TenantLLM` fields a settings row sets besides its providers."""
    if row is None:
        return {}
    return {
        "preference": cast(Preference, row.preference),
        "budget_pusd": row.monthly_budget_pusd,
        "budget_action": row.budget_action,
        "max_tokens_cap": row.max_tokens_cap,
        "tone": row.tone,
    }


async def load_tenant_llm(
    db: Database,
    keyring: KeyRing,
    settings: Settings,
    tenant_id: str,
    revealed: RevealedValues,
) -> TenantLLM:
    """The tenant's providers with keys resolved; providers lacking a needed key are left out.

    The settings and the current version of each vault credential they name are read first and
    the session closed; then each key comes from ``revealed`` (decrypted, audited, only for a
    version this process has not seen).
    """
    async with db.tenant_session(tenant_id) as session:
        row = await session.scalar(select(LLMSettings).where(LLMSettings.tenant_id == tenant_id))
        if row is None:
            entries: list[dict[str, Any]] = [
                {"name": kind, "kind": kind} for kind in settings.llm_default_providers
            ]
            stored: dict[str, str] = {}
        else:
            entries = list(row.providers)
            stored = await _stored_keys(session, keyring, tenant_id, row)
        policy = _policy(row)
        credentials = {e["name"]: e["credential_id"] for e in entries if e.get("credential_id")}
        versions = await active_versions(session, tenant_id, set(credentials.values()))
    vaulted = await reveal_keys(revealed, tenant_id, credentials, versions)
    providers, missing = [], []
    for entry in entries:
        key = resolve_api_key(entry["name"], entry["kind"], stored, vaulted)
        if key is None and entry["kind"] not in KEYLESS:
            missing.append(entry["name"])
            continue
        providers.append(_config(entry, key))
    return TenantLLM(providers, missing_keys=missing, **policy)


async def reveal_keys(
    revealed: RevealedValues,
    tenant_id: str,
    credentials: dict[str, str],
    versions: dict[str, int],
) -> dict[str, str | None]:
    """Each provider's key from its vault credential (provider name → credential id).

    ``versions``: the active credentials' current versions. Every reveal is audited and counted
    on the provider's ``llm`` reference. A credential that is not active, or cannot be revealed,
    gives ``None``.
    """
    keys: dict[str, str | None] = {}
    for name, credential_id in credentials.items():
        keys[name] = None
        subject = f"llm {tenant_id} {name}"
        try:
            value = await revealed.get(
                tenant_id,
                credential_id,
                versions.get(credential_id),
                f"provider {name}",
                ("llm", name),
            )
        except (CredentialNotFound, CredentialUnavailable, DecryptionError) as exc:
            if revealed.report(subject, f"{credential_id} {exc.code}"):
                log.warning(
                    "llm_credential_unavailable",
                    provider=name,
                    credential_id=credential_id,
                    error=exc.code,
                )
            continue
        if isinstance(value, ApiKey):
            keys[name] = value.key
            revealed.report(subject, None)
        elif revealed.report(subject, f"{credential_id} not an api_key"):
            log.warning("llm_credential_not_api_key", provider=name, credential_id=credential_id)
    return keys


async def get_settings(
    session: AsyncSession, tenant_id: str, settings: Settings
) -> LLMSettingsPublic:
    """The tenant's LLM settings as shown to admins (keys never shown)."""
    row = await session.scalar(select(LLMSettings).where(LLMSettings.tenant_id == tenant_id))
    return _public(row, settings)


def _public(row: LLMSettings | None, settings: Settings) -> LLMSettingsPublic:
    if row is None:
        return LLMSettingsPublic(
            providers=[],
            preference="balanced",
            monthly_budget_usd=None,
            budget_action="block",
            max_tokens_cap=settings.llm_max_tokens,
            tone=None,
        )
    return LLMSettingsPublic(
        providers=[
            ProviderSettingsPublic(
                name=p["name"],
                kind=p["kind"],
                has_key=bool(p.get("has_key")),
                credential_id=p.get("credential_id"),
                base_url=p.get("base_url"),
                api_version=p.get("api_version"),
                models={**DEFAULT_MODELS[p["kind"]], **(p.get("models") or {})},
                extra_models=p.get("extra_models") or [],
            )
            for p in row.providers
        ],
        preference=cast(Preference, row.preference),
        monthly_budget_usd=(
            float(Decimal(row.monthly_budget_pusd) / PICO)
            if row.monthly_budget_pusd is not None
            else None
        ),
        budget_action=cast(Any, row.budget_action),
        max_tokens_cap=row.max_tokens_cap or settings.llm_max_tokens,
        tone=row.tone,
    )


async def update_settings(
    session: AsyncSession,
    keyring: KeyRing,
    settings: Settings,
    tenant_id: str,
    change: LLMSettingsUpdate,
) -> LLMSettingsPublic:
    """Apply a change; keys are encrypted with the tenant's data key, bound to their purpose.

    A provider sent with ``credential_id`` takes its key from that vault credential (checked
    and recorded as an ``llm`` dependent of it); one sent with neither ``api_key`` nor
    ``credential_id`` keeps the key or credential it had under the same name.
    """
    row = await session.scalar(select(LLMSettings).where(LLMSettings.tenant_id == tenant_id))
    if row is None:
        row = LLMSettings(tenant_id=tenant_id, providers=[])
        session.add(row)
    if change.providers is not None:
        await _set_providers(session, keyring, tenant_id, row, change.providers)
    if change.preference is not None:
        row.preference = change.preference
    if "monthly_budget_usd" in change.model_fields_set:
        budget = change.monthly_budget_usd
        row.monthly_budget_pusd = None if budget is None else int(Decimal(str(budget)) * PICO)
    if change.budget_action is not None:
        row.budget_action = change.budget_action
    if change.max_tokens_cap is not None:
        row.max_tokens_cap = change.max_tokens_cap
    if "tone" in change.model_fields_set:
        row.tone = change.tone
    await session.flush()
    return _public(row, settings)


async def _set_providers(
    session: AsyncSession,
    keyring: KeyRing,
    tenant_id: str,
    row: LLMSettings,
    providers: list[ProviderSettingsIn],
) -> None:
    old_keys = await _stored_keys(session, keyring, tenant_id, row)
    old_credentials = {p["name"]: p.get("credential_id") for p in row.providers}
    keys: dict[str, str] = {}
    entries = []
    used: set[tuple[str, str]] = set()
    for provider in providers:
        if provider.kind == "azure" and not provider.base_url:
            raise ValidationFailed("An azure provider needs base_url (its resource endpoint)")
        key, credential_id = _key_source(provider, old_keys, old_credentials)
        entry = provider.model_dump(exclude={"api_key", "credential_id"}, exclude_none=True)
        if credential_id:
            await _use_credential(session, tenant_id, provider.name, credential_id)
            entry["credential_id"] = credential_id
            used.add((credential_id, provider.name))
        elif key:
            keys[provider.name] = key
        entry["has_key"] = bool(key or credential_id)
        entries.append(entry)
    await forget_references(session, tenant_id, "llm", keep=used)
    row.providers = entries
    row.keys_encrypted = (
        await keyring.encrypt(session, tenant_id, json.dumps(keys).encode(), KEYS_AAD)
        if keys
        else None
    )


def _key_source(
    provider: ProviderSettingsIn,
    old_keys: dict[str, str],
    old_credentials: dict[str, str | None],
) -> tuple[str | None, str | None]:
    """(inline key, credential id) of a provider: what it was sent with, else what it had."""
    if provider.api_key is not None:
        return provider.api_key.get_secret_value(), None
    if provider.credential_id is not None:
        return None, provider.credential_id
    return old_keys.get(provider.name), old_credentials.get(provider.name)


async def _use_credential(
    session: AsyncSession, tenant_id: str, provider: str, credential_id: str
) -> None:
    """Check that the credential is the tenant's, active and an API key; note the dependent."""
    cred = await record_reference(session, tenant_id, credential_id, "llm", provider)
    if cred.type != "api_key":  # refused: the transaction rolls the reference back
        raise ValidationFailed(
            f"Credential {credential_id} is of type {cred.type}; an LLM provider needs an api_key"
        )


def period_bounds(period: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → that month; ``7d`` / ``30d`` → the last N days; ``month`` → this month."""
    now = now or utcnow()
    if period == "month":
        period = now.strftime("%Y-%m")
    if period.endswith("d") and period[:-1].isdigit() and 0 < int(period[:-1]) <= 3660:
        return now - timedelta(days=int(period[:-1])), now
    try:
        start = datetime.strptime(period, "%Y-%m").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValidationFailed("period must be 'month', 'YYYY-MM' or 'Nd' (e.g. 7d)") from exc
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


async def usage_report(
    session: AsyncSession,
    tenant_id: str,
    period: str,
    service: str | None,
    model: str | None,
    budget_usd: float | None,
    limit: int,
) -> UsageReport:
    """Totals and the latest rows of the tenant's usage in ``period``."""
    start, end = period_bounds(period)
    where = [
        LLMUsage.tenant_id == tenant_id,
        LLMUsage.created_at >= start,
        LLMUsage.created_at < end,
    ]
    if service:
        where.append(LLMUsage.service == service)
    if model:
        where.append(LLMUsage.model == model)
    totals = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(LLMUsage.tokens_in), 0),
                func.coalesce(func.sum(LLMUsage.tokens_out), 0),
                func.coalesce(func.sum(LLMUsage.cost_pusd), 0),
                func.coalesce(func.sum(sql_cast(LLMUsage.cache_hit, Integer)), 0),
            ).where(*where)
        )
    ).one()
    rows = (
        await session.scalars(
            select(LLMUsage).where(*where).order_by(LLMUsage.id.desc()).limit(limit)
        )
    ).all()
    by_service = await _groups(session, LLMUsage.service, where)
    by_model = await _groups(session, LLMUsage.model, where)
    return UsageReport(
        period=period,
        calls=int(totals[0]),
        tokens_in=int(totals[1]),
        tokens_out=int(totals[2]),
        cost_usd=usd(int(totals[3])),
        cache_hits=int(totals[4]),
        budget_usd=budget_usd,
        by_service=by_service,
        by_model=by_model,
        rows=[
            UsageRow(
                id=r.id,
                created_at=r.created_at,
                service=r.service,
                provider=r.provider,
                model=r.model,
                tokens_in=r.tokens_in,
                tokens_out=r.tokens_out,
                cost_usd=usd(r.cost_pusd),
                latency_ms=r.latency_ms,
                cache_hit=r.cache_hit,
            )
            for r in rows
        ],
    )


async def _groups(session: AsyncSession, column: Any, where: list[Any]) -> list[UsageGroup]:
    """Totals grouped by ``column``, dearest first."""
    cost = func.sum(LLMUsage.cost_pusd)
    result = await session.execute(
        select(
            column,
            func.count(),
            func.sum(LLMUsage.tokens_in),
            func.sum(LLMUsage.tokens_out),
            cost,
        )
        .where(*where)
        .group_by(column)
        .order_by(cost.desc(), column)
    )
    return [
        UsageGroup(
            key=key, calls=calls, tokens_in=int(t_in), tokens_out=int(t_out), cost_usd=usd(int(c))
        )
        for key, calls, t_in, t_out, c in result.all()
    ]
