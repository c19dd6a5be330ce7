"""SimulatedEffects: recorded fakes with no runtime, no database and no network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from frontdesk.workflows.fakes import SimulatedEffects, minimal_instance, redact_headers
from frontdesk.workflows.http_status import retry_after, status_error
from frontdesk.workflows.nodes.base import (
    HttpCall,
    LlmCall,
    NewTask,
    Node,
    NodeError,
    OutgoingMessage,
    Result,
    Step,
)
from frontdesk.workflows.nodes.create_task import CreateTask
from frontdesk.workflows.nodes.escalate import Escalate
from frontdesk.workflows.nodes.http_action import HttpAction
from frontdesk.workflows.nodes.llm import LlmNode
from frontdesk.workflows.nodes.send_message import SendMessage

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open a connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the simulator opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


def step(effects: SimulatedEffects, node_id: str = "n1", config: Any = None) -> Step:
    return Step(node_id, config, {}, effects, f"sim:{node_id}", "tenant-x", "run-x", NOW)


async def run(node: Node, effects: SimulatedEffects, data: dict[str, Any]) -> Result:
    config = node.Config.model_validate(data)
    result = await node.run(step(effects, "n1", config))
    assert isinstance(result, Result)
    return result


async def test_http_defaults_to_an_empty_200_even_for_internal_urls() -> None:
    fakes = SimulatedEffects()
    call = HttpCall("GET", "http://169.254.169.254/latest", {"Authorization": "Bearer s3cret"})
    result = await fakes.http(step(fakes), call)
    assert (result.status, result.headers, result.body) == (200, {}, {})
    [record] = fakes.calls
    assert record["node_id"] == "n1" and record["effect"] == "http"
    assert record["request"]["headers"] == {"Authorization": "*****"}
    assert "s3cret" not in repr(fakes.calls)


async def test_http_returns_the_recorded_response() -> None:
    fakes = SimulatedEffects({"n1": {"status": 201, "headers": {"X-Id": "9"}, "body": {"id": 9}}})
    result = await fakes.http(step(fakes), HttpCall("POST", "https://api.example.com", {}))
    assert (result.status, result.headers, result.body) == (201, {"X-Id": "9"}, {"id": 9})
    assert fakes.calls[0]["result"] == {"status": 201, "body": {"id": 9}}


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(500, "transient"), (408, "transient"), (401, "authentication"), (404, "configuration")],
)
async def test_http_error_statuses_fail_as_live(status: int, error_class: str) -> None:
    fakes = SimulatedEffects({"n1": {"status": status, "body": {"error": "x"}}})
    with pytest.raises(NodeError) as caught:
        await fakes.http(step(fakes), HttpCall("GET", "https://api.example.com", {}))
    assert caught.value.error_class == error_class
    assert caught.value.data == {"status": status, "body": {"error": "x"}}
    assert len(fakes.calls) == 1  # the failed call is in the trace too


async def test_http_429_carries_retry_after() -> None:
    fakes = SimulatedEffects({"n1": {"status": 429, "headers": {"Retry-After": "30"}}})
    with pytest.raises(NodeError) as caught:
        await fakes.http(step(fakes), HttpCall("GET", "https://api.example.com", {}))
    assert caught.value.error_class == "rate_limit" and caught.value.retry_after == 30


def test_retry_after_forms() -> None:
    assert retry_after("12", NOW) == 12
    assert retry_after(format_datetime(NOW + timedelta(seconds=90), usegmt=True), NOW) == 90
    assert retry_after(format_datetime(NOW - timedelta(seconds=90), usegmt=True), NOW) == 0
    assert retry_after("soon", NOW) is None and retry_after(None, NOW) is None
    assert status_error(204, {}, None) is None and status_error(399, {}, None) is None


async def test_llm_placeholder_recorded_and_schema_shaped_answers() -> None:
    schema = {
        "type": "object",
        "properties": {
            "intent": {"enum": ["refund", "other"]},
            "summary": {"type": "string"},
            "score": {"type": "number"},
            "count": {"type": ["integer", "null"]},
            "urgent": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "customer": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                "required": ["name"],
            },
            "optional": {"type": "string"},
        },
        "required": ["intent", "summary", "score", "count", "urgent", "tags", "customer"],
    }
    fakes = SimulatedEffects({"recorded": "It ships Monday."})
    plain = await fakes.llm(step(fakes), LlmCall("Hi"))
    assert plain["text"] == "(simulated reply)" and plain["json"] is None
    recorded = await fakes.llm(step(fakes, "recorded"), LlmCall("Hi"))
    assert recorded["text"] == "It ships Monday."
    shaped = await fakes.llm(step(fakes), LlmCall("Classify", json_schema=schema))
    assert shaped["json"] == {
        "intent": "refund",
        "summary": "",
        "score": 0,
        "count": 0,
        "urgent": False,
        "tags": [],
        "customer": {"name": ""},
    }
    assert (await fakes.llm(step(fakes), LlmCall("x", json_mode=True)))["json"] == {}
    assert [c["effect"] for c in fakes.calls] == ["llm"] * 4


def test_minimal_instance_edges() -> None:
    assert minimal_instance({"const": 3}) == 3
    assert minimal_instance({"anyOf": [{"type": "string"}, {"type": "integer"}]}) == ""
    assert minimal_instance({"properties": {"a": {"type": "integer"}}, "required": ["a"]}) == {
        "a": 0
    }
    assert minimal_instance({}) is None


async def test_database_effects_return_synthetic_ids() -> None:
    fakes = SimulatedEffects()
    sent = await fakes.send_message(step(fakes), OutgoingMessage("hi", "conv-1"))
    again = await fakes.send_message(
        step(fakes), OutgoingMessage("hi", channel_id="c", recipient="r")
    )
    task = await fakes.create_task(step(fakes), NewTask("Call back", due_at=NOW))
    escalated = await fakes.escalate(step(fakes), "conv-1", "VIP")
    assert sent == {"message_id": "sim-msg-1", "conversation_id": "conv-1"}
    assert again["message_id"] == "sim-msg-2" and again["conversation_id"].startswith("sim-conv-")
    assert task["task_id"].startswith("sim-task-")
    assert escalated == {"conversation_id": "conv-1", "status": "waiting"}
    assert fakes.calls[2]["request"]["due_at"] == NOW.isoformat()
    assert [c["effect"] for c in fakes.calls] == [
        "send_message", "send_message", "create_task", "escalate"
    ]  # fmt: skip


def test_redaction_covers_common_secret_headers() -> None:
    headers = {"X-API-Key": "k", "Cookie": "c", "X-Auth-Token": "t", "Accept": "json"}
    assert redact_headers(headers) == {
        "X-API-Key": "*****", "Cookie": "*****", "X-Auth-Token": "*****", "Accept": "json"
    }  # fmt: skip


async def test_nodes_run_on_simulated_effects() -> None:
    fakes = SimulatedEffects({"n1": {"status": 200, "body": {"order": {"state": "shipped"}}}})
    http = await run(
        HttpAction(),
        fakes,
        {"url": "https://shop.example/orders/1", "response_mapping": {"state": "body.order.state"}},
    )
    assert http.variables == {"state": "shipped"}
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    llm = await run(
        LlmNode(),
        SimulatedEffects(),
        {"prompt": "Triage", "json_schema": schema, "output_variable": "t"},
    )
    assert llm.variables == {"t": {"ok": False}}
    sent = await run(SendMessage(), SimulatedEffects(), {"text": "Hi", "conversation_id": "c-1"})
    assert sent.output == {"message_id": "sim-msg-1", "conversation_id": "c-1"}
    task = await run(CreateTask(), SimulatedEffects(), {"title": "Call", "due_in_hours": 2})
    assert task.output == {"task_id": "sim-task-1"}
    esc = await run(Escalate(), SimulatedEffects(), {"conversation_id": "c-1"})
    assert esc.output == {"conversation_id": "c-1", "status": "waiting"}


async def test_nodes_render_and_check_templates() -> None:
    expressions = pytest.importorskip("frontdesk.workflows.expressions")
    assert expressions.render_data  # the expression engine is another module of the area
    scope = {
        "trigger": {"conversation_id": "c-9", "text": "where is order 42"},
        "vars": {"qty": 3, "base": "https://shop.example"},
    }
    cases: list[tuple[Node, dict[str, Any]]] = [
        (HttpAction(), {"method": "POST", "url": "{{ vars.base }}/orders",
                        "headers": {"X-Qty": "{{ vars.qty }}"},
                        "body": {"qty": "{{ vars.qty }}", "note": "n={{ vars.qty }}"}}),
        (SendMessage(), {"text": "About: {{ trigger.text }}"}),
        (LlmNode(), {"prompt": "Answer {{ trigger.text }}"}),
        (CreateTask(), {"title": "Follow {{ trigger.conversation_id }}"}),
        (Escalate(), {}),
    ]  # fmt: skip
    fakes = SimulatedEffects()
    for node, data in cases:
        config = node.Config.model_validate(data)
        assert node.check(config) == []
        await node.run(Step("n1", config, scope, fakes, "k", "t", "i", NOW))
    http, send, llm, task, escalate = (c["request"] for c in fakes.calls)
    assert http["url"] == "https://shop.example/orders" and http["headers"] == {"X-Qty": "3"}
    assert http["body"] == {"qty": 3, "note": "n=3"}  # a lone expression keeps its type
    assert send == {**send, "text": "About: where is order 42", "conversation_id": "c-9"}
    assert llm["prompt"] == "Answer where is order 42"
    assert task["title"] == "Follow c-9"
    assert escalate == {"conversation_id": "c-9", "reason": "workflow"}
    bad = HttpAction.Config.model_validate(
        {"url": "https://x.example/{{ __import__('os') }}", "body": {"a": "{{ 1 +"}}
    )
    problems = HttpAction().check(bad)
    assert len(problems) == 2
    assert problems[0].startswith("url: ") and problems[1].startswith("body: ")
