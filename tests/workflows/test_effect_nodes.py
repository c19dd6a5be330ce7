"""The side-effect nodes: config validation, and runs with live effects on local fakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from frontdesk.conversations.models import Conversation, Message
from frontdesk.llm.errors import AllProvidersFailed, BudgetExceeded, InvalidOutput, UnknownModel
from frontdesk.llm.schemas import LLMSettingsUpdate
from frontdesk.llm.service import update_settings
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.workflows.effects import llm_error
from frontdesk.workflows.models import WorkflowTask
from frontdesk.workflows.nodes.base import Node, NodeError, Result, Step
from frontdesk.workflows.nodes.create_task import CreateTask
from frontdesk.workflows.nodes.escalate import Escalate
from frontdesk.workflows.nodes.http_action import TRACE_BODY_BYTES, HttpAction
from frontdesk.workflows.nodes.llm import LlmNode
from frontdesk.workflows.nodes.send_message import SendMessage
from tests.conftest import TenantCtx
from tests.llm.fake_provider import FakeProvider, Reply
from tests.workflows.effect_helpers import live, webchat_conversation
from tests.workflows.effects_server import Answer, FakeApi

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def llm_server() -> Iterator[FakeProvider]:
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture
def llm_fake(llm_server: FakeProvider) -> FakeProvider:
    llm_server.reset()
    return llm_server


@pytest.fixture
def settings(settings: Settings, api_server: FakeApi, llm_server: FakeProvider) -> Settings:
    return settings.model_copy(
        update={
            "http_allowed_hosts": [api_server.hostport, llm_server.host],
            "llm_backoff_base_seconds": 0.01,
            "llm_backoff_max_seconds": 0.02,
            "llm_breaker_refresh_seconds": 0.0,
            "llm_cache_enabled": False,
        }
    )


async def use_fake_llm(runtime: Runtime, tenant_id: str, fake: FakeProvider) -> None:
    entry = {
        "name": "primary",
        "kind": "openai",
        "api_key": "sk-test-openai-0001",
        "base_url": fake.openai_url("primary"),
    }
    async with runtime.db.tenant_tx(tenant_id) as session:
        await update_settings(
            session,
            runtime.keyring,
            runtime.settings,
            tenant_id,
            LLMSettingsUpdate.model_validate({"providers": [entry]}),
        )
    await runtime.llm.forget(tenant_id)


async def run_node(
    runtime: Runtime,
    tenant_id: str,
    node: Node,
    data: dict[str, Any],
    key: str = "run-1:n1:1",
    scope: dict[str, Any] | None = None,
) -> Result:
    config = node.Config.model_validate(data)
    assert node.check(config) == []
    async with live(runtime, tenant_id) as effects:
        step = Step("n1", config, scope or {}, effects, key, tenant_id, "run-1", NOW)
        result = await node.run(step)
    assert isinstance(result, Result)
    return result


# -- http -----------------------------------------------------------------------------------


def test_http_config_is_validated() -> None:
    node = HttpAction()
    with pytest.raises(ValidationError):
        node.Config.model_validate({"url": "https://x.example", "method": "TRACE"})
    with pytest.raises(ValidationError):
        node.Config.model_validate({"url": "https://x.example", "verb": "GET"})
    for url in ("ftp://x.example/", "not a url", "https:///nohost", "/relative"):
        assert node.check(node.Config.model_validate({"url": url})), url
    bad_mapping = node.Config.model_validate(
        {"url": "https://x.example", "response_mapping": {"not a name": "body.id"}}
    )
    assert node.check(bad_mapping) == ["response_mapping: 'not a name' is not a variable name"]
    bad_header = {"url": "https://x.example", "headers": {"X Bad": "1"}}
    assert node.check(node.Config.model_validate(bad_header)) == [
        "headers: 'X Bad' is not a header name"
    ]
    no_name = {"url": "https://x.example", "auth": {"credential_id": "c1", "type": "query"}}
    assert node.check(node.Config.model_validate(no_name))


async def test_http_node_sends_and_maps_the_response(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    api.script.append(Answer(200, {"order": {"id": "A-1", "lines": [{"sku": "S1"}]}}))
    data = {
        "method": "POST",
        "url": f"{api.url}/orders?source=wf",
        "headers": {"X-Shop": "acme"},
        "query": {"page": "2"},
        "body": {"note": "hi", "qty": 2},
        "response_mapping": {"order_id": "body.order.id", "sku": "body.order.lines.0.sku",
                             "code": "status", "missing": "body.nope.deeper"},
    }  # fmt: skip
    result = await run_node(runtime, tenant.id, HttpAction(), data)
    assert result.variables == {"order_id": "A-1", "sku": "S1", "code": 200, "missing": None}
    assert result.output["status"] == 200
    [request] = api.requests
    assert request.query == {"source": "wf", "page": "2"}
    assert request.headers["x-shop"] == "acme"
    assert request.headers["idempotency-key"] == "run-1:n1:1"
    assert request.json == {"note": "hi", "qty": 2}


async def test_http_node_truncates_a_large_body_in_its_output(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    big = {"items": ["x" * 100] * 400}
    api.script.append(Answer(200, big))
    data = {"url": f"{api.url}/big", "response_mapping": {"n": "body.items.399"}}
    result = await run_node(runtime, tenant.id, HttpAction(), data)
    assert result.variables == {"n": "x" * 100}  # mapping sees the whole body
    body = result.output["body"]
    assert body["truncated"] is True and len(body["preview"].encode()) == TRACE_BODY_BYTES


async def test_http_node_failure_carries_the_error_class(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    api.script.append(Answer(503, {"error": "down"}))
    with pytest.raises(NodeError) as caught:
        await run_node(runtime, tenant.id, HttpAction(), {"url": f"{api.url}/x"})
    assert caught.value.error_class == "transient"


async def test_http_node_refuses_header_injection(
    runtime: Runtime, tenant: TenantCtx, api: FakeApi
) -> None:
    data = {"url": f"{api.url}/x", "headers": {"X-Note": "a\r\nX-Evil: 1"}}
    with pytest.raises(NodeError) as caught:
        await run_node(runtime, tenant.id, HttpAction(), data)
    assert caught.value.error_class == "configuration"
    assert api.requests == []


# -- llm ------------------------------------------------------------------------------------


def test_llm_config_is_validated() -> None:
    node = LlmNode()
    bad: list[dict[str, Any]] = [
        {"temperature": 3},
        {"max_tokens": 0},
        {"max_tokens": 9000},
        {"output_variable": "a b"},
        {"extra": 1},
    ]
    for change in bad:
        with pytest.raises(ValidationError):
            node.Config.model_validate({"prompt": "x", **change})
    with pytest.raises(ValidationError):
        node.Config.model_validate({"prompt": ""})
    broken = node.Config.model_validate({"prompt": "x", "json_schema": {"type": "nope"}})
    assert node.check(broken)[0].startswith("json_schema is not a valid JSON Schema")


async def test_llm_node_answers_through_the_gateway(
    runtime: Runtime, tenant: TenantCtx, llm_fake: FakeProvider
) -> None:
    await use_fake_llm(runtime, tenant.id, llm_fake)
    llm_fake.script("primary", Reply.ok("Your parcel ships today."))
    data = {"prompt": "Where is my parcel?", "system": "Be brief.", "output_variable": "answer"}
    result = await run_node(runtime, tenant.id, LlmNode(), data)
    assert result.variables == {"answer": "Your parcel ships today."}
    assert result.output["text"] == "Your parcel ships today."
    assert result.output["provider"] == "primary" and result.output["tokens_in"] == 12
    assert set(result.output) == {
        "text", "json", "model", "provider", "tokens_in", "tokens_out", "cost"
    }  # fmt: skip
    sent = llm_fake.received("primary")[0].body
    assert sent["messages"][-1] == {"role": "user", "content": "Where is my parcel?"}


async def test_llm_node_json_schema_answer(
    runtime: Runtime, tenant: TenantCtx, llm_fake: FakeProvider
) -> None:
    await use_fake_llm(runtime, tenant.id, llm_fake)
    llm_fake.script("primary", Reply.json({"intent": "refund", "urgent": True}))
    schema = {
        "type": "object",
        "properties": {"intent": {"enum": ["refund", "other"]}, "urgent": {"type": "boolean"}},
        "required": ["intent", "urgent"],
    }
    data = {"prompt": "Classify: I want my money back", "json_schema": schema,
            "output_variable": "triage"}  # fmt: skip
    result = await run_node(runtime, tenant.id, LlmNode(), data)
    assert result.variables == {"triage": {"intent": "refund", "urgent": True}}
    assert json.loads(result.output["text"]) == result.output["json"]


async def test_llm_node_without_a_provider_is_a_configuration_error(
    runtime: Runtime, tenant: TenantCtx
) -> None:
    with pytest.raises(NodeError) as caught:
        await run_node(runtime, tenant.id, LlmNode(), {"prompt": "hi"})
    assert caught.value.error_class == "configuration"


@pytest.mark.parametrize(("status", "error_class"), [(500, "transient"), (429, "rate_limit")])
async def test_llm_node_provider_failures(
    runtime: Runtime, tenant: TenantCtx, llm_fake: FakeProvider, status: int, error_class: str
) -> None:
    await use_fake_llm(runtime, tenant.id, llm_fake)
    llm_fake.script("primary", *[Reply.error(status)] * 10)
    with pytest.raises(NodeError) as caught:
        await run_node(runtime, tenant.id, LlmNode(), {"prompt": "hi"})
    assert caught.value.error_class == error_class


def test_gateway_errors_map_to_error_classes() -> None:
    assert llm_error(BudgetExceeded("spent")).error_class == "configuration"
    assert llm_error(UnknownModel("gpt-9")).error_class == "configuration"
    assert llm_error(InvalidOutput("bad json")).error_class == "transient"
    limited = AllProvidersFailed("x", tried=["a: HTTP 429", "b: HTTP 429"])
    assert llm_error(limited).error_class == "rate_limit"
    mixed = AllProvidersFailed("x", tried=["a: HTTP 429", "b: connection failed"])
    assert llm_error(mixed).error_class == "transient"


# -- send_message ---------------------------------------------------------------------------


def test_send_message_config_is_validated() -> None:
    config = SendMessage.Config
    assert config.model_validate({"text": "hi"}).conversation_id == "{{ trigger.conversation_id }}"
    with pytest.raises(ValidationError):
        config.model_validate({"text": "hi", "channel_id": "c1"})
    with pytest.raises(ValidationError):
        config.model_validate({"text": "hi", "conversation_id": None})
    with pytest.raises(ValidationError):
        config.model_validate({"text": ""})


async def test_send_message_node_posts_into_the_conversation(
    runtime: Runtime, tenant: TenantCtx
) -> None:
    conversation_id = await webchat_conversation(runtime, tenant.id)
    data = {"text": "Thanks, we are on it.", "conversation_id": conversation_id}
    result = await run_node(runtime, tenant.id, SendMessage(), data)
    assert result.output["conversation_id"] == conversation_id
    async with runtime.db.tenant_session(tenant.id) as session:
        message = await session.get(Message, result.output["message_id"])
    assert message is not None and message.text == "Thanks, we are on it."


async def test_send_message_node_carries_a_rendered_template(
    runtime: Runtime, tenant: TenantCtx
) -> None:
    conversation_id = await webchat_conversation(runtime, tenant.id)
    template = {
        "name": "order_update",
        "parameters": ["{{ vars.name }}", "#123"],
        "header": {"kind": "document", "url": "{{ vars.invoice }}", "filename": "invoice.pdf"},
        "buttons": [{"kind": "url", "index": 0, "value": "track/{{ vars.order }}"}],
    }
    data = {"text": "Order #123 shipped", "conversation_id": conversation_id, "template": template}
    assert SendMessage().check(SendMessage.Config.model_validate(data)) == []
    scope = {
        "vars": {"name": "Ann", "none": "", "invoice": "https://shop.example/i/9.pdf", "order": 9}
    }
    result = await run_node(runtime, tenant.id, SendMessage(), data, scope=scope)
    async with runtime.db.tenant_session(tenant.id) as session:
        message = await session.get(Message, result.output["message_id"])
    assert message is not None
    assert message.content == {
        "template": {
            "name": "order_update",
            "language": "en_US",
            "parameters": ["Ann", "#123"],
            "header": {
                "kind": "document",
                "url": "https://shop.example/i/9.pdf",
                "filename": "invoice.pdf",
            },
            "buttons": [{"kind": "url", "index": 0, "value": "track/9"}],
        }
    }
    empty = {**data, "template": {"name": "order_update", "parameters": ["{{ vars.none }}"]}}
    with pytest.raises(NodeError) as caught:
        await run_node(runtime, tenant.id, SendMessage(), empty, scope=scope)
    assert "template parameter" in str(caught.value)


async def test_send_message_node_carries_a_message_tag(runtime: Runtime, tenant: TenantCtx) -> None:
    conversation_id = await webchat_conversation(runtime, tenant.id)
    data = {"text": "Your order shipped", "conversation_id": conversation_id}
    result = await run_node(
        runtime, tenant.id, SendMessage(), {**data, "tag": "POST_PURCHASE_UPDATE"}
    )
    async with runtime.db.tenant_session(tenant.id) as session:
        message = await session.get(Message, result.output["message_id"])
    assert message is not None and message.content == {"tag": "POST_PURCHASE_UPDATE"}
    with pytest.raises(ValidationError):
        SendMessage.Config.model_validate({**data, "tag": "PROMOTION"})


@pytest.mark.parametrize("text", ["x" * 4097, "   "])
async def test_send_message_node_refuses_bad_text(
    runtime: Runtime, tenant: TenantCtx, text: str
) -> None:
    conversation_id = await webchat_conversation(runtime, tenant.id)
    with pytest.raises(NodeError) as caught:
        await run_node(
            runtime, tenant.id, SendMessage(), {"text": text, "conversation_id": conversation_id}
        )
    assert caught.value.error_class == "configuration"


# -- create_task / escalate -----------------------------------------------------------------


async def test_create_task_node_with_a_relative_due_date(
    runtime: Runtime, tenant: TenantCtx
) -> None:
    data = {"title": "Call back", "description": "refund", "due_in_hours": 4}
    result = await run_node(runtime, tenant.id, CreateTask(), data)
    async with runtime.db.tenant_session(tenant.id) as session:
        task = await session.get(WorkflowTask, result.output["task_id"])
    assert task is not None and task.due_at == NOW + timedelta(hours=4)
    assert task.data == {"node_id": "n1"}


async def test_create_task_node_with_an_iso_due_date(runtime: Runtime, tenant: TenantCtx) -> None:
    data = {"title": "Ship", "due_at": "2030-06-01T09:30:00"}
    result = await run_node(runtime, tenant.id, CreateTask(), data)
    async with runtime.db.tenant_session(tenant.id) as session:
        due = await session.scalar(
            select(WorkflowTask.due_at).where(WorkflowTask.id == result.output["task_id"])
        )
    assert due == datetime(2030, 6, 1, 9, 30, tzinfo=UTC)


async def test_create_task_node_refuses_bad_due_dates(runtime: Runtime, tenant: TenantCtx) -> None:
    with pytest.raises(ValidationError):
        CreateTask.Config.model_validate({"title": "t", "due_at": "2030-01-01", "due_in_hours": 1})
    with pytest.raises(NodeError) as caught:
        await run_node(runtime, tenant.id, CreateTask(), {"title": "t", "due_at": "next tuesday"})
    assert caught.value.error_class == "configuration"


async def test_escalate_node(runtime: Runtime, tenant: TenantCtx) -> None:
    conversation_id = await webchat_conversation(runtime, tenant.id)
    data = {"conversation_id": conversation_id, "reason": "angry customer"}
    result = await run_node(runtime, tenant.id, Escalate(), data)
    assert result.output == {"conversation_id": conversation_id, "status": "waiting"}
    async with runtime.db.tenant_session(tenant.id) as session:
        conversation = await session.get(Conversation, conversation_id)
    assert conversation is not None and conversation.status == "waiting"
