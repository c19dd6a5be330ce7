"""Token counting offline, and exact prices."""

from __future__ import annotations

import socket
import subprocess
import sys
from decimal import Decimal

from frontdesk.llm.costs import cost_pusd, count_prompt, count_text, pico, usd


def test_counting_works_with_the_network_off():
    """A fresh interpreter whose sockets all fail still loads the encoding and counts."""
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network is off')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from frontdesk.llm.costs import count_text\n"
        "print(count_text('hello world'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
    assert socket.socket.connect is not None


def test_counts_match_cl100k():
    # Reference counts of OpenAI's cl100k_base tokenizer.
    assert count_text("hello world") == 2
    assert count_text("tiktoken is great!") == 6
    assert count_text("") == 0
    prompt = count_prompt("Be brief.", [{"role": "user", "content": "hello world"}])
    assert prompt == 3 + (3 + 3) + (3 + 2)


def test_prices_from_the_table_are_exact():
    # gpt-4o-mini: $0.15 input, $0.60 output per million tokens.
    cost = cost_pusd("openai", "gpt-4o-mini", 1_000, 500, {})
    assert Decimal(usd(cost)) == Decimal("0.00045")
    assert cost_pusd("openai", "gpt-4o-mini", 1, 0, {}) == 150_000  # $0.00000015
    assert cost_pusd("anthropic", "claude-haiku-4-5", 1_000_000, 0, {}) == 10**12
    assert cost_pusd("gemini", "gemini-2.5-flash", 1_000_000, 0, {}) == 3 * 10**11


def test_overrides_local_and_unknown():
    overrides = {"gpt-4o-mini": (1.0, 2.0)}
    assert usd(cost_pusd("openai", "gpt-4o-mini", 1_000_000, 1_000_000, overrides)) == "3"
    assert cost_pusd("local", "llama3.2", 10**6, 10**6, {}) == 0
    assert cost_pusd("openai", "no-such-model", 10**6, 10**6, {}) == 0


def test_usd_round_trip():
    for value in (0, 1, 150_000, 10**12, 123_456_789_012_345):
        assert pico(usd(value)) == value
