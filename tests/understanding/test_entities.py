"""Entities: found, validated and normalised; hostile patterns and huge texts stay cheap."""

from __future__ import annotations

import time

import pytest

from frontdesk.understanding.entities import (
    PatternError,
    TenantPattern,
    compile_pattern,
    extract,
)

ORDER = TenantPattern("order_id", r"ORD-\d{6}")


def kinds(text: str, **options: object) -> list[tuple[str, str]]:
    return [(e.type, e.value) for e in extract(text, **options)]  # type: ignore[arg-type]


def test_everything_in_one_message_in_reading_order():
    text = (
        "Hi, order ORD-123456 was charged €45.90 twice; call +49 30 901820 "
        "or mail John.Doe@Example.COM"
    )
    assert kinds(text, region="DE", patterns=[ORDER]) == [
        ("order_id", "ORD-123456"),
        ("amount", "45.90"),
        ("phone", "+4930901820"),
        ("email", "John.Doe@example.com"),
    ]


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("I paid 1.234,50 EUR", "1234.50", "EUR"),
        ("it cost $1,234.50", "1234.50", "USD"),
        ("refund 10 dollars", "10", "USD"),
        ("£7", "7", "GBP"),
        ("45,90 €", "45.90", "EUR"),
    ],
)
def test_amounts_are_normalised(text: str, value: str, currency: str):
    [amount] = extract(text)
    assert (amount.type, amount.value, (amount.extra or {})["currency"]) == (
        "amount", value, currency)  # fmt: skip


def test_national_phone_numbers_are_read_in_the_tenants_region():
    assert kinds("ruf an: 030 901820", region="DE") == [("phone", "+4930901820")]
    assert kinds("call 12345") == []  # not a valid number anywhere


def test_dates_resolve_in_the_tenants_time_zone():
    [when] = extract("deliver it on 3 March 2031 at 15:00", timezone="Europe/Berlin")
    assert when.type == "datetime"
    assert when.value == "2031-03-03T15:00:00+01:00"


def test_a_date_beside_an_amount_is_read_as_a_date():
    found = extract("I paid €49.90 on 3 March and was charged twice", timezone="Europe/Berlin")
    assert [e.type for e in found] == ["amount", "datetime"]
    assert found[0].text == "€49.90" and "3 March" in found[1].text
    assert found[1].value[4:10] == "-03-03"  # not the years 2049 and 1990


def test_plain_text_has_no_entities():
    assert extract("where is my parcel?") == []
    assert extract("") == []


def test_a_tenant_id_wins_over_an_overlapping_number():
    assert kinds("ticket TCK-2031", patterns=[TenantPattern("ticket", r"TCK-\d+")]) == [
        ("ticket", "TCK-2031")
    ]


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)b", "", "x" * 301])
def test_patterns_re2_cannot_run_in_linear_time_are_refused(pattern: str):
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_catastrophic_patterns_and_huge_texts_stay_fast():
    hostile = TenantPattern("evil", r"(a+)+$")
    started = time.perf_counter()
    extract("a" * 9_999 + "!", patterns=[hostile])
    extract("x " * 20_000)
    assert time.perf_counter() - started < 5  # backtracking regexes take hours here
