"""TOTP second factor (RFC 6238, 30-second steps, 6 digits) and one-time recovery codes.

Pure functions of a secret, a code and a time: no storage here. A code is checked against the
current step and one step either side (clock drift), and only against steps later than the last
one accepted for the member, so a code (or an older one) never works twice.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno

from frontdesk.core.auth import hash_secret

ISSUER = "Frontdesk"
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_GROUPS = 4
_RECOVERY_GROUP = 4
_TOTP_CODE = re.compile(rf"\d{{{DIGITS}}}")


def new_secret() -> str:
    """A fresh random TOTP secret, base32 (160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, tenant_slug: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (issuer "Frontdesk")."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=f"{email} ({tenant_slug})", issuer_name=ISSUER
    )


def qr_svg_data_uri(uri: str) -> str:
    """``uri`` as a QR code, an SVG ``data:`` URI an ``<img>`` can show."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=4, border=2))


def time_step(now: datetime) -> int:
    """The TOTP time step (counter) of ``now``."""
    return int(now.timestamp()) // STEP_SECONDS


def is_totp_code(code: str) -> bool:
    """True when ``code`` looks like an authenticator code (else it may be a recovery code)."""
    return _TOTP_CODE.fullmatch(_compact(code)) is not None


def match_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step ``code`` belongs to (within the drift window, later than ``after``)."""
    code = _compact(code)
    if _TOTP_CODE.fullmatch(code) is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """``count`` random recovery codes like ``k7qm-2xwe-9fhd-p3ra`` (about 80 bits each)."""
    return [
        "-".join(
            "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP))
            for _ in range(_RECOVERY_GROUPS)
        )
        for _ in range(count)
    ]


def recovery_hash(code: str) -> str:
    """The stored hash of a recovery code (spaces, dashes and case do not matter).

    The codes are long random strings, so a fast hash suffices, as for API keys.
    """
    return hash_secret(f"recovery:{_compact(code).lower()}")


def _compact(code: str) -> str:
    return re.sub(r"[\s-]", "", code)
