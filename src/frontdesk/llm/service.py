"""Tenant LLM settings (keys encrypted), the key lookup, and usage reports."""

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
from frontdesk.core.crypto import KeyRing
from frontdesk.core.errors import ValidationFailed
from frontdesk.llm.costs import usd
from frontdesk.llm.models import PICO, LLMSettings, LLMUsage
from frontdesk.llm.providers.registry import DEFAULT_MODELS, ENV_KEYS, KEYLESS
from frontdesk.llm.schemas import (
    LLMSettingsPublic,
    LLMSettingsUpdate,
    Preference,
    ProviderConfig,
    ProviderKind,
    ProviderSettingsPublic,
    UsageGroup,
    UsageReport,
    UsageRow,
)
from frontdesk.settings import Settings

KEYS_AAD = b"llm-provider-keys"


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


def resolve_api_key(name: str, kind: str, stored: dict[str, str]) -> str | None:
    """The one place keys come from: the tenant's stored key, then the environment.

    ``FRONTDESK_LLM_<NAME>_API_KEY`` first, then the vendor's usual variable (e.g.
    ``OPENAI_API_KEY``). The credential vault plugs in here.
    """
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


async def load_tenant_llm(
    session: AsyncSession, keyring: KeyRing, settings: Settings, tenant_id: str
) -> TenantLLM:
    """The tenant's providers with keys resolved; providers lacking a needed key are left out."""
    row = await session.scalar(select(LLMSettings).where(LLMSettings.tenant_id == tenant_id))
    if row is None:
        entries: list[dict[str, Any]] = [
            {"name": kind, "kind": kind} for kind in settings.llm_default_providers
        ]
        stored: dict[str, str] = {}
    else:
        entries = row.providers
        stored = await _stored_keys(session, keyring, tenant_id, row)
    providers, missing = [], []
    for entry in entries:
        key = resolve_api_key(entry["name"], entry["kind"], stored)
        if key is None and entry["kind"] not in KEYLESS:
            missing.append(entry["name"])
            continue
        providers.append(_config(entry, key))
    if row is None:
        return TenantLLM(providers, missing_keys=missing)
    return TenantLLM(
        providers,
        preference=cast(Preference, row.preference),
        budget_pusd=row.monthly_budget_pusd,
        budget_action=row.budget_action,
        max_tokens_cap=row.max_tokens_cap,
        tone=row.tone,
        missing_keys=missing,
    )


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

    A provider sent without ``api_key`` keeps the key it had under the same name.
    """
    row = await session.scalar(select(LLMSettings).where(LLMSettings.tenant_id == tenant_id))
    if row is None:
        row = LLMSettings(tenant_id=tenant_id, providers=[])
        session.add(row)
    if change.providers is not None:
        old = await _stored_keys(session, keyring, tenant_id, row)
        keys: dict[str, str] = {}
        entries = []
        for provider in change.providers:
            if provider.kind == "azure" and not provider.base_url:
                raise ValidationFailed("An azure provider needs base_url (its resource endpoint)")
            key = (
                provider.api_key.get_secret_value() if provider.api_key else old.get(provider.name)
            )
            if key:
                keys[provider.name] = key
            entry = provider.model_dump(exclude={"api_key"}, exclude_none=True)
            entry["has_key"] = bool(key)
            entries.append(entry)
        row.providers = entries
        row.keys_encrypted = (
            await keyring.encrypt(session, tenant_id, json.dumps(keys).encode(), KEYS_AAD)
            if keys
            else None
        )
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
