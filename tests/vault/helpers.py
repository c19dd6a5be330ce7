"""Builders for vault tests: a settable clock, sample values, a self-signed certificate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import TenantCtx

API_KEY = "sk_live_4242424242424242abcdefAB"
PASSWORD = "correct-horse-battery-staple-9"
CLIENT_SECRET = "oauth-client-secret-XYZ-123456"
WEBHOOK_SECRET = "whsec_0123456789abcdef0123"
DB_URL = "postgresql://app:db-pass-Sup3rS3cret@db.example.com:5432/shop"
SECRETS = [API_KEY, PASSWORD, CLIENT_SECRET, WEBHOOK_SECRET, "db-pass-Sup3rS3cret"]


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def self_signed(days: int = 365, cn: str = "shop.example.com") -> tuple[str, str]:
    """A certificate and its private key, both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def values() -> dict[str, dict[str, Any]]:
    """One valid value per built-in type."""
    cert, key = self_signed()
    return {
        "api_key": {"key": API_KEY},
        "oauth2": {
            "client_id": "client-1",
            "client_secret": CLIENT_SECRET,
            "token_url": "https://auth.example.com/token",
        },
        "basic_auth": {"username": "bob", "password": PASSWORD},
        "webhook_secret": {"secret": WEBHOOK_SECRET},
        "database_url": {"url": DB_URL},
        "tls": {"certificate": cert, "private_key": key},
    }


async def create(
    client: httpx.AsyncClient, tenant: TenantCtx, type: str = "api_key", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"{type}-{extra.pop('suffix', 1)}", "type": type}
    body["value"] = extra.pop("value", None) or values()[type]
    body.update(extra)
    r = await client.post("/api/v1/vault/credentials", headers=tenant.headers, json=body)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def token(
    client: httpx.AsyncClient, tenant: TenantCtx, credential_id: str, service: str = "crm-sync"
) -> str:
    r = await client.post(
        f"/api/v1/vault/credentials/{credential_id}/tokens",
        headers=tenant.headers,
        json={"service": service, "reason": "nightly CRM sync"},
    )
    assert r.status_code == 201, r.text
    value: str = r.json()["token"]
    return value


async def decrypt(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    value: str,
    service: str = "crm-sync",
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        "/api/v1/vault/decrypt",
        headers=tenant.headers,
        json={"token": value, "service": service, **extra},
    )


async def usage(client: httpx.AsyncClient, tenant: TenantCtx, credential_id: str) -> Any:
    """The credential's usage: its count, last use and references."""
    url = f"/api/v1/vault/credentials/{credential_id}/usage"
    return (await client.get(url, headers=tenant.headers)).json()


async def audit_rows(
    client: httpx.AsyncClient, tenant: TenantCtx, credential_id: str, action: str
) -> list[Any]:
    """The credential's audit rows of one action (checked to hold no secret of these tests)."""
    r = await client.get(
        "/api/v1/vault/audit", headers=tenant.headers, params={"credential_id": credential_id}
    )
    assert not any(secret in r.text for secret in SECRETS)
    return [row for row in r.json() if row["action"] == action]


async def revoke(
    client: httpx.AsyncClient, tenant: TenantCtx, credential_id: str, reason: str = "leaked"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/vault/credentials/{credential_id}/revoke",
        headers=tenant.headers,
        json={"reason": reason},
    )


async def rotate(
    client: httpx.AsyncClient, tenant: TenantCtx, credential_id: str, value: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/vault/credentials/{credential_id}/rotate",
        headers=tenant.headers,
        json={"value": value, "reason": "scheduled"},
    )
