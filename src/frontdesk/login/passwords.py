"""Member passwords, hashed with Argon2id (argon2-cffi's RFC 9106 defaults).

Hashing costs tens of milliseconds of CPU by design, so callers in the event loop use the
``a``-prefixed variants, which run in a worker thread.
"""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.core.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 256
_hasher = PasswordHasher()


def check_strength(password: str) -> None:
    """Refuse passwords that are too short or absurdly long."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"A password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"A password has at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (salted; the parameters are encoded in it)."""
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; a missing hash burns the same time."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no such member: equal time for a wrong e-mail and a wrong password")


async def ahash_password(password: str) -> str:
    """:func:`hash_password` off the event loop."""
    check_strength(password)
    return await asyncio.to_thread(hash_password, password)


async def averify_password(stored: str | None, password: str) -> bool:
    """:func:`verify_password` off the event loop."""
    return await asyncio.to_thread(verify_password, stored, password)
