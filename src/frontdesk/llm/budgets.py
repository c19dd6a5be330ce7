"""Monthly budgets: spend kept per tenant and UTC month, an alert at 80%, block or downgrade."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.clock import utcnow
from frontdesk.core.ids import new_id
from frontdesk.core.outbox import publish
from frontdesk.llm.costs import usd
from frontdesk.llm.errors import BudgetExceeded
from frontdesk.llm.models import LLMSpend
from frontdesk.llm.schemas import Preference

ALERT_EVENT = "llm.budget.alert"


def month_of(moment: datetime) -> str:
    """``YYYY-MM`` of a UTC moment."""
    return moment.strftime("%Y-%m")


async def spent(session: AsyncSession, tenant_id: str, month: str) -> int:
    """Pico-dollars spent by the tenant in ``month``."""
    value = await session.scalar(
        select(LLMSpend.cost_pusd).where(LLMSpend.tenant_id == tenant_id, LLMSpend.month == month)
    )
    return int(value or 0)


def enforce(
    budget_pusd: int | None, spent_pusd: int, action: str, preference: Preference
) -> Preference:
    """The preference to use: unchanged, ``cheap`` (downgrade), or :class:`BudgetExceeded`."""
    if budget_pusd is None or spent_pusd < budget_pusd:
        return preference
    if action == "downgrade":
        return "cheap"
    raise BudgetExceeded(
        f"The monthly LLM budget of ${usd(budget_pusd)} is spent (${usd(spent_pusd)})"
    )


async def add_spend(
    session: AsyncSession,
    tenant_id: str,
    cost: int,
    budget_pusd: int | None,
    alert_ratio: float,
    now: datetime | None = None,
) -> None:
    """Add ``cost`` to this month's spend; publish the alert once when it crosses the ratio."""
    from sqlalchemy.dialects import postgresql, sqlite

    month = month_of(now or utcnow())
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(LLMSpend)
        .values(
            id=new_id(),
            tenant_id=tenant_id,
            month=month,
            cost_pusd=cost,
            alerted=False,
            created_at=now or utcnow(),
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "month"],
            set_={"cost_pusd": LLMSpend.cost_pusd + cost},
        )
        .returning(LLMSpend.cost_pusd, LLMSpend.alerted)
    )
    total, alerted = (await session.execute(statement)).one()
    if budget_pusd is None or alerted or total < budget_pusd * alert_ratio:
        return
    result = await session.execute(
        update(LLMSpend)
        .where(
            LLMSpend.tenant_id == tenant_id, LLMSpend.month == month, LLMSpend.alerted.is_(False)
        )
        .values(alerted=True)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        await publish(
            session,
            tenant_id,
            ALERT_EVENT,
            {
                "month": month,
                "spent_usd": usd(int(total)),
                "budget_usd": usd(budget_pusd),
                "ratio": round(int(total) / budget_pusd, 4) if budget_pusd else 1.0,
            },
        )
