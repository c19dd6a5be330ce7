"""LiveEffects against a local fake API and the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from frontdesk.conversations.models import Conversation, Message
from frontdesk.core.auth import Role
from frontdesk.queue.models import Job
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.vault import tokens
from frontdesk.vault.audit import Actor
from frontdesk.vault.schemas import CredentialCreate
from frontdesk.vault.service import Vault
from frontdesk.workflows.effects import MAX_RESPONSE_BYTES, close_http_client
from frontdesk.workflows.models import WorkflowTask
from frontdesk.workflows.nodes.base import (
    HttpCall,
    NewTask,
    NodeError,
    OutgoingMessage,
)
from tests.channels.helpers import create_channel
from tests.conftest import TenantCtx
from tests.factories import make_member
from tests.workflows.effect_helpers import events, live, step_for, webchat_conversation
from tests.workflows.effects_server import Answer, FakeApi

ACTOR = Actor("test")
TOKEN = "tok-live-123456789"
BASIC = "Basic YW5uOnB3"  # ann:pw


@pytest.fixture
def settings(settings: Settings, api_server: FakeApi) -> Settings:
    return settings.model_copy(
        update={
            "http_allowed_hosts": [api_server.hostport],
            "channel_api_urls": {"telegram": api_server.url},
        }
    )


async def http(runtime: Runtime, tenant_id: str, call: HttpCall) -> Any:
    async with live(runtime, tenant_id) as effects:
        return await effects.http(step_for(effects, tenant_id), call)


async def failure(runtime: Runtime, tenant_id: str, call: HttpCall) -> NodeError:
    with pytest.raises(NodeError) as caught:
        await http(runtime, tenant_id, call)
    return caught.value


async def credential(runtime: Runtime, tenant_id: str, type_: str, value: dict[str, Any]) -> str:
    body = CredentialCreate(name=f"api-{type_}", type=type_, value=value)
    cred = await Vault.of(runtime).create(tenant_id, ACTOR, body)
    return cred.id


# -- http -----------------------------------------------------------------------------------


async def test_http_sends_the_step_key_and_parses_json(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    api.script.append(Answer(201, {"id": 7, "items": [1, 2]}))
    call = HttpCall("POST", f"{api.url}/orders", {"X-Trace": "t1"}, body={"sku": "A-1"})
    result = await http(runtime, tenant.id, call)
    assert result.status == 201
    assert result.body == {"id": 7, "items": [1, 2]}
    [request] = api.requests
    assert request.method == "POST" and request.path == "/orders"
    assert request.headers["idempotency-key"] == "run-1:n1:1"
    assert request.headers["x-trace"] == "t1"
    assert request.json == {"sku": "A-1"}


async def test_http_text_body_stays_text(runtime: Runtime, tenant: TenantCtx, api: FakeApi) -> None:
    api.script.append(Answer(raw=b"plain words", content_type="text/plain"))
    result = await http(runtime, tenant.id, HttpCall("GET", f"{api.url}/t", {}))
    assert result.body == "plain words"


async def test_one_client_is_reused_and_closable(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    from frontdesk.workflows.effects import http_client

    first = http_client(runtime)
    await http(runtime, tenant.id, HttpCall("GET", f"{api.url}/a", {}))
    assert http_client(runtime) is first
    await close_http_client(runtime)
    assert first.is_closed
    assert http_client(runtime) is not first


@pytest.mark.parametrize(
    ("type_", "value", "auth", "name", "where"),
    [
        ("api_key", {"key": TOKEN}, "bearer", None, ("h", f"Bearer {TOKEN}")),
        ("api_key", {"key": TOKEN, "header": "X-Key", "scheme": ""}, None, None, ("x-key", TOKEN)),
        ("api_key", {"key": TOKEN}, "query", "api_key", ("q", TOKEN)),
        ("basic_auth", {"username": "ann", "password": "pw"}, "basic", None, ("h", BASIC)),
    ],
)  # fmt: skip
async def test_http_applies_a_vault_credential(
    runtime: Runtime,
    tenant: TenantCtx,
    api: FakeApi,
    type_: str,
    value: dict[str, Any],
    auth: Any,
    name: str | None,
    where: tuple[str, str],
) -> None:
    cred_id = await credential(runtime, tenant.id, type_, value)
    call = HttpCall("GET", f"{api.url}/me", {}, credential_id=cred_id, auth=auth, auth_name=name)
    assert (await http(runtime, tenant.id, call)).status == 200
    [request] = api.requests
    place, expected = where
    if place == "q":
        assert request.query == {name: expected}
    else:
        assert request.headers["authorization" if place == "h" else place] == expected


async def test_http_401_rereads_a_rotated_credential_and_retries_once(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    cred_id = await credential(runtime, tenant.id, "api_key", {"key": "old-token-0000"})
    loop = asyncio.get_running_loop()
    vault = Vault.of(runtime)

    def rotate_on_first(request: Any) -> None:
        if len(api.requests) == 1:  # the run already read the old value: rotate it now
            rotation = vault.rotate(tenant.id, ACTOR, cred_id, {"key": "new-token-1111"}, "leak")
            asyncio.run_coroutine_threadsafe(rotation, loop).result(10)

    api.token, api.on_request = "new-token-1111", rotate_on_first
    call = HttpCall("GET", f"{api.url}/me", {}, credential_id=cred_id, auth="bearer")
    result = await http(runtime, tenant.id, call)
    assert result.status == 200
    assert [r.headers["authorization"] for r in api.requests] == [
        "Bearer old-token-0000",
        "Bearer new-token-1111",
    ]
    assert all(r.headers["idempotency-key"] == "run-1:n1:1" for r in api.requests)


async def test_http_401_refreshes_an_oauth2_credential_and_retries_once(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    value = {
        "client_id": "frontdesk",
        "client_secret": "client-secret-000",
        "token_url": f"{api.url}/token",
        "access_token": "expired-access-0",
        "refresh_token": "refresh-0000",
    }
    cred_id = await credential(runtime, tenant.id, "oauth2", value)
    api.script += [
        Answer(401, {"error": "expired"}),
        Answer(200, {"access_token": "fresh-access-1", "expires_in": 3600}),
        Answer(200, {"ok": True}),
    ]
    call = HttpCall("GET", f"{api.url}/me", {}, credential_id=cred_id, auth="bearer")
    assert (await http(runtime, tenant.id, call)).status == 200
    first, token, retry = api.requests
    assert first.headers["authorization"] == "Bearer expired-access-0"
    assert token.path == "/token" and b"grant_type=refresh_token" in token.body
    assert retry.headers["authorization"] == "Bearer fresh-access-1"
    secret = await tokens.reveal(Vault.of(runtime), tenant.id, cred_id, "test", "check")
    assert secret.version == 2 and secret.reveal()["access_token"] == "fresh-access-1"


async def test_http_401_with_an_unchanged_credential_is_an_authentication_error(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    cred_id = await credential(runtime, tenant.id, "api_key", {"key": "wrong-token-00"})
    api.token = "right-token-11"
    call = HttpCall("GET", f"{api.url}/me", {}, credential_id=cred_id, auth="bearer")
    error = await failure(runtime, tenant.id, call)
    assert error.error_class == "authentication"
    assert error.data["status"] == 401
    assert len(api.requests) == 1
    assert "wrong-token" not in str(error.detail)


async def test_http_unknown_credential_is_a_configuration_error(
    runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx, api: FakeApi
) -> None:
    theirs = await credential(runtime, other_tenant.id, "api_key", {"key": "their-token-00"})
    for credential_id in (theirs, "no-such-credential"):
        call = HttpCall("GET", f"{api.url}/me", {}, credential_id=credential_id, auth="bearer")
        error = await failure(runtime, tenant.id, call)
        assert error.error_class == "configuration"
        assert error.detail == "Credential: No such credential"
    assert api.requests == []


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_http_429_is_rate_limited_with_retry_after(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi, form: str
) -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)
    value = "120" if form == "seconds" else format_datetime(later, usegmt=True)
    api.script.append(Answer(429, {"error": "slow down"}, {"Retry-After": value}))
    error = await failure(runtime, tenant.id, HttpCall("GET", f"{api.url}/x", {}))
    assert error.error_class == "rate_limit"
    assert error.retry_after is not None and 110 <= error.retry_after <= 120
    assert error.data == {"status": 429, "body": {"error": "slow down"}}


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(500, "transient"), (503, "transient"), (408, "transient"), (403, "authentication"),
     (404, "configuration"), (422, "configuration")],
)  # fmt: skip
async def test_http_error_statuses_are_classified(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi, status: int, error_class: str
) -> None:
    api.script.append(Answer(status, {"error": "no"}))
    error = await failure(runtime, tenant.id, HttpCall("GET", f"{api.url}/x", {}))
    assert error.error_class == error_class
    assert error.data["status"] == status


async def test_http_redirect_is_a_result(runtime: Runtime, tenant: TenantCtx, api: FakeApi) -> None:
    api.script.append(Answer(302, {}, {"Location": "http://10.0.0.1/"}))
    result = await http(runtime, tenant.id, HttpCall("GET", f"{api.url}/x", {}))
    assert result.status == 302
    assert result.headers["location"] == "http://10.0.0.1/"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:1/admin",
        "http://10.1.2.3/",
        "http://[::1]/",
        "file:///etc/passwd",
    ],
)
async def test_http_refuses_internal_addresses(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi, url: str
) -> None:
    error = await failure(runtime, tenant.id, HttpCall("GET", url, {}))
    assert error.error_class == "configuration"


async def test_http_refuses_the_fake_server_by_another_name(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    port = api.hostport.rsplit(":", 1)[1]
    error = await failure(runtime, tenant.id, HttpCall("GET", f"http://localhost:{port}/", {}))
    assert error.error_class == "configuration"
    assert api.requests == []


@pytest.mark.parametrize("stream", [False, True])
async def test_http_refuses_an_oversized_response(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi, stream: bool
) -> None:
    api.script.append(Answer(raw=b"x" * (MAX_RESPONSE_BYTES + 1), stream=stream))
    error = await failure(runtime, tenant.id, HttpCall("GET", f"{api.url}/big", {}))
    assert error.error_class == "configuration"
    assert error.detail == "response too large"


async def test_http_hanging_server_times_out_as_transient(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    api.script.append(Answer(hang=1.0))
    error = await failure(runtime, tenant.id, HttpCall("GET", f"{api.url}/slow", {}, timeout=0.3))
    assert error.error_class == "transient"


async def test_http_does_not_write(runtime: Runtime, tenant: TenantCtx, api: FakeApi) -> None:
    async with live(runtime, tenant.id) as effects:
        await effects.http(step_for(effects, tenant.id), HttpCall("GET", f"{api.url}/a", {}))
        assert not effects.session.new and not effects.session.dirty


# -- send_message ---------------------------------------------------------------------------


async def test_send_message_into_a_web_chat_is_sent_at_once(
    runtime: Runtime, tenant: TenantCtx
) -> None:
    conversation_id = await webchat_conversation(runtime, tenant.id)
    async with live(runtime, tenant.id) as effects:
        step = step_for(effects, tenant.id)
        out = await effects.send_message(
            step, OutgoingMessage("Your order shipped", conversation_id)
        )
    assert out["conversation_id"] == conversation_id
    async with runtime.db.tenant_session(tenant.id) as session:
        message = await session.get(Message, out["message_id"])
    assert message is not None
    assert (message.direction, message.sender, message.status) == ("out", "bot", "sent")
    assert message.text == "Your order shipped"
    assert message.meta == {"handler": "workflow", "instance_id": "run-1", "node_id": "n1"}
    sent = await events(runtime, tenant.id, "message.sent")
    assert {"message_id": out["message_id"], "conversation_id": conversation_id,
            "handler": "workflow"} in sent  # fmt: skip


async def test_send_message_to_a_provider_channel_enqueues_a_send_job(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    channel = await create_channel(client, tenant, "telegram")
    async with live(runtime, tenant.id) as effects:
        step = step_for(effects, tenant.id)
        message = OutgoingMessage("Hello there", channel_id=channel["id"], recipient="4242")
        out = await effects.send_message(step, message)
    async with runtime.db.system_session() as session:
        msg = await session.get(Message, out["message_id"])
        conversation = await session.get(Conversation, out["conversation_id"])
        jobs = list(await session.scalars(select(Job).where(Job.kind == "channel.send")))
    assert msg is not None and msg.sender == "bot"
    assert conversation is not None
    assert (conversation.channel_id, conversation.external_thread_id) == (channel["id"], "4242")
    assert [j.payload["message_id"] for j in jobs] == [out["message_id"]]
    assert jobs[0].tenant_id == tenant.id
    # a second message to the same recipient lands in the same thread
    async with live(runtime, tenant.id) as effects:
        again = await effects.send_message(step_for(effects, tenant.id, "run-1:n2:1"), message)
    assert again["conversation_id"] == out["conversation_id"]


@pytest.mark.parametrize(
    "message",
    [
        OutgoingMessage("hi", conversation_id="0190f0f0-0000-7000-8000-000000000000"),
        OutgoingMessage("hi", channel_id="0190f0f0-0000-7000-8000-000000000000", recipient="1"),
        OutgoingMessage("hi"),
    ],
)
async def test_send_message_to_an_unknown_target_is_a_configuration_error(
    runtime: Runtime, tenant: TenantCtx, message: OutgoingMessage
) -> None:
    async with live(runtime, tenant.id) as effects:
        with pytest.raises(NodeError) as caught:
            await effects.send_message(step_for(effects, tenant.id), message)
    assert caught.value.error_class == "configuration"


async def test_send_message_cannot_reach_another_tenants_conversation(
    runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    theirs = await webchat_conversation(runtime, other_tenant.id)
    async with live(runtime, tenant.id) as effects:
        with pytest.raises(NodeError):
            await effects.send_message(step_for(effects, tenant.id), OutgoingMessage("x", theirs))


# -- create_task / escalate -----------------------------------------------------------------


async def test_create_task_is_idempotent_by_step_key(runtime: Runtime, tenant: TenantCtx) -> None:
    member = await make_member(runtime.db, tenant.id, "ann@acme.example.com", Role.AGENT)
    due = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    task = NewTask("Call the customer", "about the refund", member, due, {"order": "A-1"})
    ids = []
    for _ in range(2):
        async with live(runtime, tenant.id) as effects:
            ids.append((await effects.create_task(step_for(effects, tenant.id), task))["task_id"])
    assert ids[0] == ids[1]
    async with runtime.db.tenant_session(tenant.id) as session:
        rows = list(await session.scalars(select(WorkflowTask)))
    assert len(rows) == 1
    row = rows[0]
    assert (row.title, row.assignee_id, row.instance_id) == ("Call the customer", member, "run-1")
    assert row.idempotency_key == "run-1:n1:1" and row.due_at == due and row.status == "open"
    assert len(await events(runtime, tenant.id, "workflow.task_created")) == 1


async def test_create_task_refuses_an_unknown_assignee(runtime: Runtime, tenant: TenantCtx) -> None:
    async with live(runtime, tenant.id) as effects:
        with pytest.raises(NodeError) as caught:
            await effects.create_task(step_for(effects, tenant.id), NewTask("t", assignee_id="x"))
    assert caught.value.error_class == "configuration"


async def test_escalate_flags_the_conversation_for_a_human(
    runtime: Runtime, tenant: TenantCtx
) -> None:
    conversation_id = await webchat_conversation(runtime, tenant.id)
    for _ in range(2):  # the second time it is already waiting: nothing more happens
        async with live(runtime, tenant.id) as effects:
            out = await effects.escalate(step_for(effects, tenant.id), conversation_id, "VIP")
        assert out == {"conversation_id": conversation_id, "status": "waiting"}
    async with runtime.db.tenant_session(tenant.id) as session:
        conversation = await session.get(Conversation, conversation_id)
    assert conversation is not None and conversation.needs_human
    escalated = await events(runtime, tenant.id, "conversation.escalated")
    assert [(e["conversation_id"], e["reason"]) for e in escalated] == [(conversation_id, "VIP")]
    changed = await events(runtime, tenant.id, "conversation.status_changed")
    assert [e["status"] for e in changed] == ["waiting"]
