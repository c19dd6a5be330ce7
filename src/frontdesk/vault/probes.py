"""Validation calls (the "test" button) and OAuth2 token refresh.

The value is decrypted in a short read transaction; the call out (through the SSRF-guarded
client) happens with no transaction open; the outcome is audited afterwards. Details name
status codes and error classes, never a value or a provider's response body.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from frontdesk.core.errors import FrontdeskError, UpstreamError, ValidationFailed
from frontdesk.core.http import safe_client
from frontdesk.vault import audit
from frontdesk.vault.audit import Actor
from frontdesk.vault.models import Credential
from frontdesk.vault.schemas import TestPublic
from frontdesk.vault.service import Vault
from frontdesk.vault.types import ApiKey, BasicAuth, CredentialValue, OAuth2


async def _current(vault: Vault, tenant_id: str, credential_id: str) -> CredentialValue:
    async with vault.db.tenant_session(tenant_id) as s:
        cred = await vault.usable(s, tenant_id, credential_id)
        return await vault.open(s, cred)


async def test(vault: Vault, tenant_id: str, actor: Actor, credential_id: str) -> TestPublic:
    """Run the credential's validation call and audit its outcome."""
    value = await _current(vault, tenant_id, credential_id)
    ok, detail = await _probe(vault, value)
    now = vault.clock.now()
    async with vault.db.tenant_tx(tenant_id) as s:
        audit.record(
            s,
            tenant_id,
            actor,
            "test",
            now,
            credential_id=credential_id,
            reason=detail,
            outcome="ok" if ok else "failed",
        )
    return TestPublic(ok=ok, detail=detail, checked_at=now)


async def _probe(vault: Vault, value: CredentialValue) -> tuple[bool, str]:
    try:
        if isinstance(value, ApiKey) and value.probe_url:
            headers = {value.header: value.header_value()}
            return _status(await _get(vault, str(value.probe_url), headers=headers))
        if isinstance(value, BasicAuth) and value.probe_url:
            auth = httpx.BasicAuth(value.username, value.password)
            return _status(await _get(vault, str(value.probe_url), auth=auth))
        if isinstance(value, OAuth2):
            await _token_request(vault, value)
            return True, "the token endpoint issued a token"
    except FrontdeskError as e:
        return False, e.detail
    except httpx.HTTPError as e:
        return False, f"request failed ({type(e).__name__})"
    return True, value.check()


async def _get(vault: Vault, url: str, **kwargs: Any) -> httpx.Response:
    async with safe_client(vault.settings) as client:
        return await client.get(url, **kwargs)


def _status(response: httpx.Response) -> tuple[bool, str]:
    return response.status_code < 400, f"HTTP {response.status_code} from {response.url.host}"


async def _token_request(vault: Vault, value: OAuth2) -> dict[str, Any]:
    """Ask the token URL for a token (refresh grant when there is a refresh token)."""
    form = {"client_id": value.client_id, "client_secret": value.client_secret}
    if value.refresh_token:
        form |= {"grant_type": "refresh_token", "refresh_token": value.refresh_token}
    else:
        form["grant_type"] = "client_credentials"
        if value.scopes:
            form["scope"] = " ".join(value.scopes)
    async with safe_client(vault.settings) as client:
        response = await client.post(str(value.token_url), data=form)
    if response.status_code != 200:
        raise UpstreamError(f"The token endpoint answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise UpstreamError("The token endpoint did not answer JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise UpstreamError("The token endpoint's answer has no access_token")
    return body


async def refresh(vault: Vault, tenant_id: str, actor: Actor, credential_id: str) -> Credential:
    """Get fresh OAuth2 tokens from the provider and store them as the next version."""
    value = await _current(vault, tenant_id, credential_id)
    if not isinstance(value, OAuth2):
        raise ValidationFailed("Only oauth2 credentials can be refreshed")
    try:
        body = await _token_request(vault, value)
    except httpx.HTTPError as e:
        raise UpstreamError(f"The token request failed ({type(e).__name__})") from None
    fresh = value.model_dump(mode="json") | {"access_token": body["access_token"]}
    if isinstance(body.get("refresh_token"), str):
        fresh["refresh_token"] = body["refresh_token"]
    if isinstance(body.get("expires_in"), int | float):
        fresh["expires_at"] = (
            vault.clock.now() + timedelta(seconds=float(body["expires_in"]))
        ).isoformat()
    return await vault.rotate(tenant_id, actor, credential_id, fresh, "oauth2 token refresh")
