"""What a vault-backed provider key costs the LLM gateway: a tenant configuration load.

On a fresh SQLite database (``synchronous=FULL``, as shipped) two tenants have one OpenAI
provider each: the baseline's key is typed inline (stored encrypted in its LLM settings), the
other's names an ``api_key`` credential of the vault. Each iteration drops the gateway's
cached configuration (``forget``) and loads it again (``tenant_config``), alternating the two
tenants so both see the same machine state. A vault-backed load reads the credential's current
version; when the process has not revealed that version yet (first load, after a rotation) it
adds one ``reveal``: its own write transaction with the token row, the decrypt audit row and
the use counts. Both are timed, and the cached ``tenant_config`` a completion normally gets
(no load at all). The "revealed" loop decrypts the credential far more than
``FRONTDESK_VAULT_ANOMALY_PER_MINUTE`` times a minute, so the vault's anomaly warning fires
once (logging is set to ERROR to keep it out of the table).

Run: ``.venv/bin/python bench/llm_vault_keys.py [--iterations N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from common import percentile, table
from frontdesk.core.logging import configure_logging
from frontdesk.core.migrate import migrate
from frontdesk.llm.schemas import LLMSettingsUpdate
from frontdesk.llm.service import update_settings
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.tenants.service import create_tenant
from frontdesk.vault.audit import Actor
from frontdesk.vault.schemas import CredentialCreate
from frontdesk.vault.service import Vault

ACTOR = Actor("bench", "127.0.0.1", "llm-vault-bench")
BASE_URL = "https://api.example.com/v1"


async def tenant_with(runtime: Runtime, name: str, provider: dict[str, object]) -> str:
    async with runtime.db.system_session() as session:
        tenant = await create_tenant(session, f"{name}-{os.getpid()}-{time.monotonic_ns()}")
    if provider.get("credential_id") == "new":
        cred = await Vault.of(runtime).create(
            tenant.id,
            ACTOR,
            CredentialCreate(name="openai", type="api_key", value={"key": "sk-" + "4" * 40}),
        )
        provider = {**provider, "credential_id": cred.id}
    change = LLMSettingsUpdate.model_validate({"providers": [provider]})
    async with runtime.db.tenant_tx(tenant.id) as session:
        await update_settings(session, runtime.keyring, runtime.settings, tenant.id, change)
    return tenant.id


async def run(settings: Settings, n: int) -> list[list[object]]:
    await migrate(settings)
    runtime = Runtime.create(settings)
    entry = {"name": "main", "kind": "openai", "base_url": BASE_URL}
    inline = await tenant_with(runtime, "inline", {**entry, "api_key": "sk-" + "2" * 40})
    vaulted = await tenant_with(runtime, "vaulted", {**entry, "credential_id": "new"})
    gateway = runtime.llm

    async def load(tenant_id: str, *, new_key: bool = False) -> None:
        await gateway.forget(tenant_id)
        if new_key:  # as after a rotation, or in a new process: the key must be revealed
            gateway._revealed.clear()
        config = await gateway.tenant_config(tenant_id)
        assert config.providers and not config.missing_keys

    samples: dict[str, list[float]] = {"inline": [], "reveal": [], "known": [], "cached": []}
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("inline", lambda: load(inline)),
        ("reveal", lambda: load(vaulted, new_key=True)),
        ("known", lambda: load(vaulted)),
        ("cached", lambda: gateway.tenant_config(vaulted)),
    ]
    for i in range(n + 50):  # the first 50 warm up: connections, data keys, statements
        for name, step in steps:
            start = time.perf_counter()
            await step()
            if i >= 50:
                samples[name].append(time.perf_counter() - start)
    await runtime.close_llm()
    await runtime.db.dispose()
    base = percentile(samples["inline"], 50)
    labels = {
        "inline": "load, inline key (baseline)",
        "reveal": "load, vault credential revealed (first, or rotated)",
        "known": "load, vault credential already revealed (version read)",
        "cached": "cached config (vault tenant)",
    }
    return [
        [
            labels[name],
            len(values),
            f"{percentile(values, 50) * 1e3:.3f}",
            f"{percentile(values, 99) * 1e3:.3f}",
            f"{percentile(values, 50) / base:.2f}",
        ]
        for name, values in samples.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=500)
    args = parser.parse_args()
    configure_logging("ERROR", json=True)
    master = base64.b64encode(os.urandom(32)).decode()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), master_key=master, env="test")
        rows = asyncio.run(run(settings, args.iterations))
    header = ["what", "n", "p50 ms", "p99 ms", "p50 / baseline"]
    title = f"LLM tenant configuration on SQLite (synchronous=FULL), {args.iterations} each"
    print(table(title, header, rows))
    print(f"load average while running: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
