"""Entities (U3): e-mail addresses, phone numbers, dates and times, amounts, tenant-defined ids.

Each entity is validated and normalised: e-mail lower-cased domain, phone numbers in E.164,
dates as ISO 8601 in the tenant's time zone, amounts as a decimal string with an ISO 4217
currency, tenant ids as matched. Tenant patterns run on RE2, which matches in linear time, so a
hostile pattern cannot stall a worker (no catastrophic backtracking), and patterns RE2 rejects
(backreferences, look-arounds) are refused when the tenant saves them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
import re2
from email_validator import EmailNotValidError, validate_email

MAX_TEXT = 10_000  # longer messages are read up to here
MAX_PATTERN = 300
MAX_MATCHES = 20

EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB",
                    "₺": "TRY", "₩": "KRW", "CHF": "CHF", "R$": "BRL"}  # fmt: skip
CODES = "EUR|USD|GBP|JPY|INR|RUB|TRY|KRW|CHF|BRL|CAD|AUD|SEK|NOK|DKK|PLN|CZK|MXN|CNY"
NUMBER = r"\d{1,3}(?:[ ,.'’]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
SYMBOL = r"R\$|[€$£¥₹₽₺₩]"
AMOUNT = re.compile(
    rf"(?P<pre>{SYMBOL}|\b(?:{CODES})\b)\s?(?P<n1>{NUMBER})"
    rf"|(?P<n2>{NUMBER})\s?(?P<post>{SYMBOL}|\b(?:{CODES})\b|euros?\b|dollars?\b|pounds?\b)",
    re.IGNORECASE,
)
WORD_CURRENCIES = {"euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD",
                   "pound": "GBP", "pounds": "GBP"}  # fmt: skip
DATE_HINT = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}(?:[./-]\d{1,4})?\b|\b\d{1,2}(?:st|nd|rd|th|h)\b|\b\d{1,2}:\d{2}\b"
    r"|\b\d{1,2}\s?(?:am|pm)\b|\b(?:today|tomorrow|yesterday|tonight|morning|afternoon|evening"
    r"|noon|midnight|next|last|ago|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug"
    r"|sep|oct|nov|dec|week|month|year|hours?|minutes?|heute|morgen|demain|hoy|mañana|domani)\w*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entity:
    """One entity found in a text: ``value`` is the normalised form."""

    type: str
    text: str
    value: str
    start: int
    end: int
    extra: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {k: v for k, v in asdict(self).items() if v is not None}


class PatternError(ValueError):
    """A tenant pattern that RE2 refuses, or one too long."""


@dataclass(frozen=True)
class TenantPattern:
    """A tenant-defined id pattern, e.g. ``order_id`` for ``ORD-`` and six digits."""

    name: str
    pattern: str


def compile_pattern(pattern: str) -> Any:
    """Compile a tenant pattern with RE2, or raise :class:`PatternError`."""
    if not pattern or len(pattern) > MAX_PATTERN:
        raise PatternError(f"a pattern has 1 to {MAX_PATTERN} characters")
    try:
        return re2.compile(pattern)
    except re2.error as exc:
        raise PatternError(f"unsupported pattern: {exc}") from exc


def emails(text: str) -> list[Entity]:
    """Syntactically valid e-mail addresses, normalised."""
    found = []
    for m in EMAIL.finditer(text):
        try:
            valid = validate_email(m.group(), check_deliverability=False)
        except EmailNotValidError:
            continue
        found.append(Entity("email", m.group(), valid.normalized, m.start(), m.end()))
    return found


def phones(text: str, region: str | None) -> list[Entity]:
    """Valid phone numbers in E.164 (national numbers read in ``region``)."""
    found = []
    matcher = phonenumbers.PhoneNumberMatcher(text, region or "US", leniency=1, max_tries=50)
    for m in matcher:
        if phonenumbers.is_valid_number(m.number):
            e164 = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
            found.append(Entity("phone", m.raw_string, e164, m.start, m.end))
    return found


def amounts(text: str) -> list[Entity]:
    """Money amounts with a currency: ``€45.90``, ``45,90 EUR``, ``10 dollars``."""
    found = []
    for m in AMOUNT.finditer(text):
        number = m.group("n1") or m.group("n2")
        mark = (m.group("pre") or m.group("post") or "").strip()
        currency = CURRENCY_SYMBOLS.get(mark) or WORD_CURRENCIES.get(mark.lower()) or mark.upper()
        value = _decimal(number)
        if value is None:
            continue
        found.append(
            Entity("amount", m.group(), f"{value}", m.start(), m.end(), {"currency": currency})
        )
    return found


def _decimal(number: str) -> Decimal | None:
    """Read ``1,234.50``, ``1.234,50``, ``45,90`` and ``1 000`` as decimals."""
    digits = number.replace(" ", "").replace("'", "").replace("’", "")
    last = max(digits.rfind("."), digits.rfind(","))
    if last != -1 and len(digits) - last - 1 in (1, 2):  # a decimal separator
        whole, frac = digits[:last], digits[last + 1 :]
        digits = whole.replace(".", "").replace(",", "") + "." + frac
    else:
        digits = digits.replace(".", "").replace(",", "")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def dates(text: str, timezone: str, language: str | None) -> list[Entity]:
    """Dates and times, resolved in ``timezone`` (relative ones from now, future preferred)."""
    if not DATE_HINT.search(text):
        return []  # dateparser's search is slow: only run it when a date may be there
    from dateparser.search import search_dates

    settings = {
        "TIMEZONE": timezone,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
    }
    languages = [language] if language else None
    try:
        results = search_dates(text, settings=settings, languages=languages) or []
    except (ValueError, OverflowError, LookupError):
        return []
    found: list[Entity] = []
    cursor = 0
    for phrase, when in results:
        if phrase.strip().isdigit():
            continue  # a bare number is an id or a quantity far more often than a date
        start = text.find(phrase, cursor)
        cursor = start + len(phrase) if start >= 0 else cursor
        found.append(Entity("datetime", phrase, when.isoformat(), start, start + len(phrase)))
    return found


def tenant_ids(text: str, patterns: list[TenantPattern]) -> list[Entity]:
    """Matches of the tenant's id patterns (order numbers, ticket ids, …)."""
    found: list[Entity] = []
    for item in patterns:
        try:
            compiled = compile_pattern(item.pattern)
        except PatternError:
            continue
        for m in compiled.finditer(text):
            if len(found) >= MAX_MATCHES:
                return found
            if m.end() > m.start():
                found.append(Entity(item.name, m.group(), m.group(), m.start(), m.end()))
    return found


def extract(
    text: str,
    *,
    timezone: str = "UTC",
    region: str | None = None,
    language: str | None = None,
    patterns: list[TenantPattern] | None = None,
) -> list[Entity]:
    """Every entity in ``text``, in reading order; a tenant id wins over an overlapping number."""
    text = text[:MAX_TEXT]
    custom = tenant_ids(text, patterns or [])
    taken = [(e.start, e.end) for e in custom]
    found = list(custom)
    for entity in [*emails(text), *amounts(text), *phones(text, region)]:
        if all(entity.end <= s or entity.start >= e for s, e in taken):
            found.append(entity)
            taken.append((entity.start, entity.end))
    # Dates last, with the other entities blanked out (same length, so offsets hold): otherwise
    # dateparser reads "€49.90 on 3 March" as the years 2049 and 1990.
    blanked = list(text)
    for start, end in taken:
        blanked[start:end] = " " * (end - start)
    for entity in dates("".join(blanked), timezone, language):
        if all(entity.end <= s or entity.start >= e for s, e in taken):
            found.append(entity)
            taken.append((entity.start, entity.end))
    return sorted(found, key=lambda e: e.start)
