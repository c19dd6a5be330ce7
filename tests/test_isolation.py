"""Tenant isolation on every API route: tenant B's admin key reaches nothing of tenant A."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update

from frontdesk.assessments.models import AssessmentResult
from frontdesk.channels.files import media_aad
from frontdesk.channels.models import ChannelMedia
from frontdesk.conversations.models import Callback
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base
from frontdesk.llm.models import LLMUsage
from frontdesk.login.service import confirm_mfa, setup_mfa
from frontdesk.queue.models import Job
from frontdesk.runtime import Runtime
from frontdesk.workflows.models import WorkflowTask
from tests.assessments.samples import quiz
from tests.conftest import TenantCtx
from tests.factories import open_session, wait_for_messages

PUBLIC = ("/api/v1/webchat/", "/api/v1/auth/login")
STREAMS = {"/api/v1/events/stream"}  # endless: their isolation is tested in tests/dashboard
BODIES = {
    ("POST", "/api/v1/faq"): {"question": "q?", "answer": "a"},
    ("POST", "/api/v1/faq/match"): {"text": "When will my order arrive?"},
    ("PATCH", "/api/v1/faq/{entry_id}"): {"answer": "hijacked"},
    ("POST", "/api/v1/workflow-tasks/{task_id}/complete"): {"note": "hijacked"},
    ("POST", "/api/v1/tasks"): {"title": "b-task"},
    ("PATCH", "/api/v1/tasks/{task_id}"): {"title": "hijacked"},
    ("POST", "/api/v1/tasks/{task_id}/complete"): {"note": "hijacked"},
    ("POST", "/api/v1/workflows"): {"name": "b-flow"},
    ("POST", "/api/v1/workflows/validate"): {"nodes": []},
    ("PATCH", "/api/v1/workflows/{workflow_id}"): {"name": "hijacked"},
    ("POST", "/api/v1/workflows/{workflow_id}/versions"): {},
    ("POST", "/api/v1/workflows/{workflow_id}/activate"): {"version_id": "{version_id}"},
    ("PUT", "/api/v1/workflows/{workflow_id}/variants"): {"variants": []},
    ("POST", "/api/v1/workflows/{workflow_id}/copy"): {"bot": "b"},
    ("POST", "/api/v1/workflows/{workflow_id}/runs"): {},
    ("POST", "/api/v1/workflows/{workflow_id}/simulate"): {},
    ("POST", "/api/v1/workflows/{workflow_id}/shadow"): {},
    ("POST", "/api/v1/workflow-templates/{template_key}/install"): {},
    ("POST", "/api/v1/workflow-instances/{instance_id}/skip-node/{node_id}"): {"reason": "hijack"},
    ("POST", "/api/v1/workflow-instances/{instance_id}/retry"): {"node_id": "{node_id}"},
    ("POST", "/api/v1/workflow-instances/{instance_id}/approvals/{node_id}"): {
        "decision": "approve"
    },
    ("POST", "/api/v1/events"): {"type": "b-event", "payload": {}},
    ("PATCH", "/api/v1/contacts/{contact_id}"): {"name": "hijacked"},
    ("POST", "/api/v1/contacts/{contact_id}/merge"): {"other_id": "{contact_id}"},
    ("PATCH", "/api/v1/tenant"): {"name": "hijacked"},
    ("POST", "/api/v1/members"): {"email": "b@example.com", "role": "viewer"},
    ("POST", "/api/v1/api-keys"): {"role": "viewer"},
    ("POST", "/api/v1/llm/complete"): {"messages": [{"role": "user", "content": "hi"}]},
    ("POST", "/api/v1/llm/stream"): {"messages": [{"role": "user", "content": "hi"}]},
    ("PATCH", "/api/v1/llm/settings"): {"tone": "hijacked"},
    ("POST", "/api/v1/channels"): {
        "type": "telegram",
        "name": "b's bot",
        "credentials": {"bot_token": "123:abc"},
    },
    ("PATCH", "/api/v1/channels/{channel_id}"): {"name": "hijacked"},
    ("POST", "/api/v1/channels/{channel_id}/test-send"): {
        "to": "12345",
        "reply": {"text": "hijacked"},
    },
    ("PUT", "/api/v1/members/{member_id}/password"): {"password": "hijacked-password"},
    ("POST", "/api/v1/auth/mfa/confirm"): {"code": "123456"},
    ("POST", "/api/v1/auth/mfa/disable"): {"code": "123456"},
    ("POST", "/api/v1/conversations/{conversation_id}/reply"): {"text": "hijacked"},
    ("POST", "/api/v1/conversations/{conversation_id}/assign"): {"member_id": "{member_id}"},
    ("PUT", "/api/v1/members/me/availability"): {"available": True},
    ("POST", "/api/v1/vault/credentials"): {
        "name": "b-key",
        "type": "api_key",
        "value": {"key": "sk_tenant_b_000000000000"},
    },
    ("PATCH", "/api/v1/vault/credentials/{credential_id}"): {"description": "hijacked"},
    ("POST", "/api/v1/vault/credentials/{credential_id}/rotate"): {
        "value": {"key": "sk_hijacked_000000000000"},
        "reason": "hijack",
    },
    ("POST", "/api/v1/vault/credentials/{credential_id}/revoke"): {"reason": "hijack"},
    ("POST", "/api/v1/vault/credentials/{credential_id}/tokens"): {
        "service": "isolation",
        "reason": "hijack",
    },
    ("POST", "/api/v1/vault/decrypt"): {"token": "{_vault_token}", "service": "isolation"},
    ("POST", "/api/v1/understanding/examples"): {"examples": [{"intent": "b", "text": "b"}]},
    ("POST", "/api/v1/understanding/analyze"): {"text": "Where is my order?"},
    ("POST", "/api/v1/faq/import"): {"entries": []},
    ("POST", "/api/v1/knowledge/namespaces"): {"name": "b-only"},
    ("PATCH", "/api/v1/knowledge/namespaces/{namespace}"): {"description": "hijacked"},
    ("POST", "/api/v1/knowledge/namespaces/{namespace}/documents"): {
        "source": "hijack",
        "text": "hijacked",
    },
    ("POST", "/api/v1/knowledge/namespaces/{namespace}/sources"): {
        "source": {"type": "url", "url": "https://example.com/"}
    },
    ("POST", "/api/v1/knowledge/query"): {"query": "returns", "namespace": "{namespace}"},
    ("POST", "/api/v1/knowledge/answer"): {"query": "returns", "namespace": "{namespace}"},
    ("POST", "/api/v1/routing/rules"): {
        "name": "b-rule",
        "conditions": {"conditions": [{"field": "text", "operator": "contains", "value": "b"}]},
        "handler": "handoff",
    },
    ("PATCH", "/api/v1/routing/rules/{rule_id}"): {"name": "hijacked"},
    ("POST", "/api/v1/routing/test"): {"text": "When will my order arrive?"},
    ("POST", "/api/v1/reminders"): {
        "conversation_id": "{conversation_id}",
        "text": "hijacked",
        "due_at": "{_due_at}",
    },
    ("PATCH", "/api/v1/reminders/{reminder_id}"): {"text": "hijacked"},
    ("POST", "/api/v1/reminders/{reminder_id}/snooze"): {"minutes": 5},
    ("POST", "/api/v1/assessments"): quiz(key="b-check", title="B's check"),
    ("PUT", "/api/v1/assessments/{key}"): quiz(key="{key}", title="Hijacked"),
    ("PATCH", "/api/v1/assessments/{key}"): {"enabled": False},
}
# Routes without path parameters whose body names tenant A's data: refused, not served.
REFUSED = {
    ("POST", "/api/v1/vault/decrypt"),
    # A member's own MFA: an API key (no member) is refused; a member acts on itself only.
    ("POST", "/api/v1/auth/mfa/setup"),
    ("POST", "/api/v1/auth/mfa/confirm"),
    ("POST", "/api/v1/auth/mfa/disable"),
    ("POST", "/api/v1/reminders"),  # for tenant A's conversation
    # A member's own availability: an API key (no member) is refused.
    ("PUT", "/api/v1/members/me/availability"),
}
# Routes that take a body other than JSON: (content type, body).
RAW_BODIES = {
    ("POST", "/api/v1/understanding/examples/import"): ("text/csv", "text,intent\nhi,greet\n"),
    ("POST", "/api/v1/channels/media"): ("application/pdf", "%PDF-1.7 b's own file"),
}
LLM_KEY_OF_A = "sk-tenant-a-secret-key-0001"


async def seed_tenant_a(
    client: httpx.AsyncClient, runtime: Runtime, a: TenantCtx
) -> dict[str, str]:
    """Give tenant A one of everything and return the ids, by path-parameter name."""
    sid, headers = await open_session(client, a.slug)
    await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages",
        headers=headers,
        json={"text": "When will my order arrive?"},
    )
    await wait_for_messages(client, sid, headers, 2)
    conversation = (await client.get("/api/v1/conversations", headers=a.headers)).json()[0]
    faq = (await client.get("/api/v1/faq", headers=a.headers)).json()[0]
    member = (
        await client.post(
            "/api/v1/members", headers=a.headers, json={"email": "a@example.com", "role": "agent"}
        )
    ).json()
    mfa = await setup_mfa(runtime.db, runtime.keyring, a.id, member["id"], a.slug)
    now = utcnow()
    await confirm_mfa(
        runtime.db, runtime.keyring, a.id, member["id"], pyotp.TOTP(mfa.secret).at(now), now
    )
    keys = (await client.get("/api/v1/api-keys", headers=a.headers)).json()
    channel = (
        await client.post(
            "/api/v1/channels",
            headers=a.headers,
            json={"type": "telegram", "name": "A's bot", "credentials": {"bot_token": "1:a"}},
        )
    ).json()
    async with runtime.db.tenant_tx(a.id) as session:
        await runtime.queue.enqueue(session, _dead_job(a.id))
        media = ChannelMedia(
            tenant_id=a.id,
            channel_id=channel["id"],
            raw_message_id=conversation["id"],
            kind="image",
            status="stored",
            mime_type="image/png",
            data=await runtime.keyring.encrypt(session, a.id, b"png", media_aad("m")),
        )
        session.add(media)
        task = WorkflowTask(
            tenant_id=a.id, idempotency_key="seed-a", title="task-of-a", description="secret-of-a"
        )
        session.add(task)
        callback = Callback(
            tenant_id=a.id,
            conversation_id=conversation["id"],
            contact_id=conversation["contact_id"],
            reason="seed-a",
        )
        session.add(callback)
    async with runtime.db.system_tx() as session:
        await session.execute(update(Job).where(Job.kind == "test.dead").values(status="dead"))
        job_id = await session.scalar(select(Job.id).where(Job.kind == "test.dead"))
    assert job_id
    r = await client.patch(
        "/api/v1/llm/settings",
        headers=a.headers,
        json={
            "providers": [{"name": "a-openai", "kind": "openai", "api_key": LLM_KEY_OF_A}],
            "tone": "tone-of-a",
        },
    )
    assert r.status_code == 200, r.text
    async with runtime.db.tenant_tx(a.id) as session:
        session.add(
            LLMUsage(
                tenant_id=a.id,
                service="service-of-a",
                provider="a-openai",
                model="gpt-4o-mini",
                tokens_in=1,
                tokens_out=1,
                cost_pusd=1,
                latency_ms=1.0,
            )
        )
    credential = (
        await client.post(
            "/api/v1/vault/credentials",
            headers=a.headers,
            json={"name": "crm", "type": "api_key", "value": {"key": "sk_tenant_a_00000000000"}},
        )
    ).json()
    vault_token = (
        await client.post(
            f"/api/v1/vault/credentials/{credential['id']}/tokens",
            headers=a.headers,
            json={"service": "isolation", "reason": "isolation test"},
        )
    ).json()["token"]
    examples = [{"intent": i, "text": f"{i} example {n}"} for i in ("a1", "a2") for n in range(3)]
    await client.post(
        "/api/v1/understanding/examples", headers=a.headers, json={"examples": examples}
    )
    example = (await client.get("/api/v1/understanding/examples", headers=a.headers)).json()[0]
    model = (await client.post("/api/v1/understanding/models", headers=a.headers)).json()
    due_at = (now + timedelta(hours=1)).isoformat()
    reminder = (
        await client.post(
            "/api/v1/reminders",
            headers=a.headers,
            json={"conversation_id": conversation["id"], "text": "a's", "due_at": due_at},
        )
    ).json()
    kb = await _seed_knowledge(client, a)
    workflows = await _seed_workflow(client, a)
    rule = (
        await client.post(
            "/api/v1/routing/rules",
            headers=a.headers,
            json={
                "name": "rule-of-a",
                "conditions": {"conditions": [{"field": "intent", "operator": "eq", "value": "x"}]},
                "handler": "handoff",
            },
        )
    ).json()
    assessment = await _seed_assessment(client, runtime, a, conversation)
    return {
        **assessment,
        "rule_id": rule["id"],
        "_rule_name": "rule-of-a",
        **kb,
        **workflows,
        "example_id": example["id"],
        "model_id": model["id"],
        "entry_id": faq["id"],
        "contact_id": conversation["contact_id"],
        "conversation_id": conversation["id"],
        "member_id": member["id"],
        "_mfa_secret": mfa.secret,
        "key_id": keys[0]["id"],
        "job_id": job_id,
        "credential_id": credential["id"],
        "_vault_token": vault_token,
        "channel_id": channel["id"],
        "media_id": media.id,
        "task_id": task.id,
        "reminder_id": reminder["id"],
        "_due_at": due_at,
        "callback_id": callback.id,
        "_task_title": "task-of-a",
        "_tenant": a.id,
        "_llm_key": LLM_KEY_OF_A,
        "_llm_provider": "a-openai",
        "_llm_service": "service-of-a",
        "_llm_tone": "tone-of-a",
    }


async def _seed_knowledge(client: httpx.AsyncClient, a: TenantCtx) -> dict[str, str]:
    k = "/api/v1/knowledge"
    r = await client.post(f"{k}/namespaces", headers=a.headers, json={"name": "acme-kb-secret"})
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{k}/namespaces/acme-kb-secret/documents",
        headers=a.headers,
        json={"source": "acme-returns", "text": "Acme returns take 30 days.", "entity": "acme"},
    )
    assert r.status_code == 201, r.text
    document_id = r.json()["id"]
    r = await client.post(
        f"{k}/namespaces/acme-kb-secret/files",
        params={"filename": "acme.txt"},
        headers=a.headers,
        content=b"Acme secret warranty terms.",
    )
    assert r.status_code == 202, r.text
    return {
        "namespace": "acme-kb-secret",
        "document_id": document_id,
        "ingest_job_id": r.json()["id"],
    }


async def _seed_assessment(
    client: httpx.AsyncClient, runtime: Runtime, a: TenantCtx, conversation: dict[str, str]
) -> dict[str, str]:
    """An assessment of tenant A with one completed run."""
    r = await client.post(
        "/api/v1/assessments", headers=a.headers, json=quiz(key="acme-assessment")
    )
    assert r.status_code == 201, r.text
    async with runtime.db.tenant_tx(a.id) as session:
        result = AssessmentResult(
            tenant_id=a.id,
            assessment_id=r.json()["id"],
            version=1,
            conversation_id=conversation["id"],
            status="completed",
            band="acme-band-secret",
        )
        session.add(result)
    return {"key": "acme-assessment", "result_id": result.id}


async def _seed_workflow(client: httpx.AsyncClient, a: TenantCtx) -> dict[str, str]:
    """An active workflow of tenant A with a run waiting for an approval."""
    definition = {
        "nodes": [
            {"id": "s", "type": "start"},
            {"id": "acme-approval", "type": "approval", "data": {"title": "acme-approval-secret"}},
            {"id": "e", "type": "end"},
        ],
        "edges": [
            {"id": "a", "source": "s", "target": "acme-approval"},
            {"id": "b", "source": "acme-approval", "target": "e", "sourceHandle": "approved"},
        ],
    }
    w = "/api/v1/workflows"
    r = await client.post(
        w, headers=a.headers, json={"name": "acme-flow", "definition": definition}
    )
    workflow_id = r.json()["id"]
    r = await client.post(f"{w}/{workflow_id}/versions", headers=a.headers, json={})
    version_id = r.json()["id"]
    await client.post(
        f"{w}/{workflow_id}/activate", headers=a.headers, json={"version_id": version_id}
    )
    r = await client.post(f"{w}/{workflow_id}/runs", headers=a.headers, json={"input": {"a": 1}})
    instance_id = r.json()["id"]
    for _ in range(200):
        run = await client.get(f"/api/v1/workflow-instances/{instance_id}", headers=a.headers)
        if run.json()["status"] == "waiting":
            break
        await asyncio.sleep(0.05)
    return {
        "workflow_id": workflow_id,
        "version_id": version_id,
        "instance_id": instance_id,
        "node_id": "acme-approval",
        "template_key": "no-such-template",
    }


def _dead_job(tenant_id: str):  # type: ignore[no-untyped-def]
    from frontdesk.queue.base import NewJob

    return NewJob(kind="test.dead", tenant_id=tenant_id, payload={"x": 1})


def tenant_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every authenticated API operation, from the OpenAPI schema."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1/") and not path.startswith(PUBLIC) and path not in STREAMS
        for method in operations
    ]


async def test_no_route_leaks_across_tenants(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
):
    ids = await seed_tenant_a(client, runtime, tenant)
    secrets_of_a = [v for v in ids.values()] + [tenant.slug]
    # Tenant B's own training data, so that B's training request is a valid one.
    examples = [{"intent": i, "text": f"{i} {n}"} for i in ("b1", "b2") for n in range(3)]
    await client.post(
        "/api/v1/understanding/examples", headers=other_tenant.headers, json={"examples": examples}
    )
    routes = tenant_routes(app)
    assert len(routes) >= 20

    for method, path in routes:
        params = re.findall(r"{(\w+)}", path)
        unknown = [p for p in params if p not in ids]
        assert not unknown, f"add {unknown} to the isolation test's seed"
        url = path.format(**ids)
        body = BODIES.get((method, path))
        if body is not None:
            body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
        if (method, path) in RAW_BODIES:
            media, content = RAW_BODIES[(method, path)]
            headers = {**other_tenant.headers, "Content-Type": media}
            r = await client.request(method, url, headers=headers, content=content)
        else:
            r = await client.request(method, url, headers=other_tenant.headers, json=body)
        if params or (method, path) in REFUSED:
            assert r.status_code in (403, 404), (method, path, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        else:
            assert r.status_code < 300, (method, path, r.status_code, r.text)
            leaked = [s for s in secrets_of_a if s in r.text]
            assert not leaked, (method, path, leaked)

    # Tenant A's data is untouched.
    members = (await client.get("/api/v1/members", headers=tenant.headers)).json()
    assert next(m for m in members if m["id"] == ids["member_id"])["mfa_enabled"]
    faq = (await client.get(f"/api/v1/faq/{ids['entry_id']}", headers=tenant.headers)).json()
    assert faq["answer"] != "hijacked"
    me = (await client.get("/api/v1/tenant", headers=tenant.headers)).json()
    assert me["name"] != "hijacked"
    llm = (await client.get("/api/v1/llm/settings", headers=tenant.headers)).json()
    assert llm["tone"] == "tone-of-a"
    r = await client.get(f"/api/v1/queue/dead-letters/{ids['job_id']}", headers=tenant.headers)
    assert r.status_code == 200
    cred = (
        await client.get(
            f"/api/v1/vault/credentials/{ids['credential_id']}", headers=tenant.headers
        )
    ).json()
    assert (cred["status"], cred["version"], cred["description"]) == ("active", 1, "")
    r = await client.post(
        "/api/v1/vault/decrypt",
        headers=tenant.headers,
        json={"token": ids["_vault_token"], "service": "isolation"},
    )
    assert r.json()["value"]["key"] == "sk_tenant_a_00000000000"
    r = await client.get(f"/api/v1/channels/{ids['channel_id']}", headers=tenant.headers)
    assert r.json()["name"] == "A's bot" and r.json()["enabled"]
    r = await client.get(
        f"/api/v1/knowledge/documents/{ids['document_id']}", headers=tenant.headers
    )
    assert r.status_code == 200
    r = await client.get("/api/v1/knowledge/namespaces/acme-kb-secret", headers=tenant.headers)
    assert r.json()["description"] != "hijacked"
    r = await client.get(
        f"/api/v1/workflows/{ids['workflow_id']}/audit-log/verify", headers=tenant.headers
    )
    assert r.json()["ok"] and r.json()["entries"] == 3  # created, version_created, activated
    r = await client.get(f"/api/v1/workflows/{ids['workflow_id']}", headers=tenant.headers)
    assert r.json()["name"] == "acme-flow"
    r = await client.get(f"/api/v1/workflow-instances/{ids['instance_id']}", headers=tenant.headers)
    assert r.json()["status"] == "waiting"
    r = await client.get(f"/api/v1/routing/rules/{ids['rule_id']}", headers=tenant.headers)
    assert r.status_code == 200 and r.json()["name"] == "rule-of-a", r.text
    r = await client.get(f"/api/v1/reminders/{ids['reminder_id']}", headers=tenant.headers)
    assert (r.json()["text"], r.json()["status"], r.json()["snoozed_count"]) == (
        "a's",
        "scheduled",
        0,
    )
    r = await client.get(f"/api/v1/tasks/{ids['task_id']}", headers=tenant.headers)
    assert (r.json()["title"], r.json()["status"]) == ("task-of-a", "open")
    r = await client.get(f"/api/v1/assessments/{ids['key']}", headers=tenant.headers)
    assert (r.json()["title"], r.json()["enabled"], r.json()["version"]) == (
        "Health check",
        True,
        1,
    )


async def test_every_route_requires_an_api_key(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantCtx
):
    for method, path in tenant_routes(app):
        url = re.sub(r"{\w+}", "x", path)
        for headers in ({}, {"Authorization": "Bearer fd_nope_nope"}):
            r = await client.request(method, url, headers=headers)
            assert r.status_code == 401, (method, path)
            assert r.headers["content-type"] == "application/problem+json"


async def test_row_level_security_walls_off_other_tenants(
    runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx, client: httpx.AsyncClient
):
    """On PostgreSQL, a tenant session sees only its rows even without a WHERE clause."""
    if runtime.db.dialect != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    await seed_tenant_a(client, runtime, tenant)
    tables = [t.name for t in Base.metadata.sorted_tables]
    async with runtime.db.tenant_session(other_tenant.id) as session:
        for table in tables:
            column = "id" if table == "tenants" else "tenant_id"
            rows = (await session.execute(text(f"SELECT {column} FROM {table}"))).scalars().all()
            assert set(map(str, rows)) <= {other_tenant.id}, table
        # Writing a row for another tenant is refused too.
        with pytest.raises(Exception, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO faq_entries (id, tenant_id, question, alternate_questions, answer,"
                    " tags, language, priority, enabled, hit_count, created_at, updated_at)"
                    " VALUES ('x', :t, 'q', '[]', 'a', '[]', 'en', 0, true, 0, now(), now())"
                ),
                {"t": tenant.id},
            )
    async with runtime.db.tenant_conn(other_tenant.id) as conn:  # a bare connection too
        assert (await conn.execute(text("SELECT id FROM tenants"))).scalars().all() == [
            other_tenant.id
        ]
        for table in tables:
            column = "id" if table == "tenants" else "tenant_id"
            rows = (await conn.execute(text(f"SELECT {column} FROM {table}"))).scalars().all()
            assert set(map(str, rows)) <= {other_tenant.id}, table
    async with runtime.db.engine.connect() as conn:  # no tenant, no system flag: fails closed
        assert (await conn.execute(text("SELECT count(*) FROM faq_entries"))).scalar() == 0


async def test_every_tenant_table_has_row_level_security(runtime: Runtime):
    """A migration that adds a tenant table without ``rls.enable`` fails here."""
    if runtime.db.dialect != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    async with runtime.db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity FROM pg_class c"
                " JOIN information_schema.columns k ON k.table_name = c.relname"
                " AND k.table_schema = 'public' AND k.column_name = 'tenant_id'"
                " WHERE c.relkind = 'r'"
            )
        )
        walls = {name: bool(on) for name, on in rows.all()}
    assert walls and all(walls.values()), {t for t, on in walls.items() if not on}
