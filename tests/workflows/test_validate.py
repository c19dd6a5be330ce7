"""Graph validation: every problem listed at once, located by node, edge and field."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

import pytest
from pydantic import Field

from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig
from frontdesk.workflows.validate import Problem, is_valid, validate


class StartNode(Node):
    type = "start"
    effect: ClassVar[Effect] = Effect.CONTROL


class EndNode(Node):
    type = "end"
    effect: ClassVar[Effect] = Effect.CONTROL
    handles: ClassVar[tuple[str, ...]] = ()


class HttpConfig(NodeConfig):
    url: str
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)


class HttpNode(Node):
    type = "http"
    Config = HttpConfig
    effect: ClassVar[Effect] = Effect.EXTERNAL

    def check(self, config: Any) -> list[str]:
        return [] if config.url.startswith("https://") else ["url must use https"]


class IfConfig(NodeConfig):
    expression: str = Field(min_length=1)


class IfNode(Node):
    type = "if"
    Config = IfConfig
    handles: ClassVar[tuple[str, ...]] = ("true", "false")


class WaitNode(Node):
    type = "wait"
    effect: ClassVar[Effect] = Effect.WAIT
    handles: ClassVar[tuple[str, ...]] = ("default", "timeout")


REGISTRY: dict[str, Node] = {
    n.type: n for n in (StartNode(), EndNode(), HttpNode(), IfNode(), WaitNode())
}


def node(node_id: str, type_: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "position": {"x": 0, "y": 0}, "data": data}


def edge(source: str, target: str, handle: str | None = None, edge_id: str | None = None):
    return {
        "id": edge_id or f"{source}-{handle or 'default'}-{target}",
        "source": source,
        "target": target,
        "sourceHandle": handle,
    }


def good() -> dict[str, Any]:
    """start → if → (true) http → end, (false) wait → end."""
    return {
        "nodes": [
            node("start", "start"),
            node("check", "if", expression="trigger.amount > 100"),
            node("call", "http", url="https://crm.example/api", retry={"max_attempts": 3}),
            node("pause", "wait"),
            node("end", "end"),
        ],
        "edges": [
            edge("start", "check"),
            edge("check", "call", "true"),
            edge("check", "pause", "false"),
            edge("call", "end"),
            edge("call", "end", "error", "call-error"),
            edge("pause", "end"),
            edge("pause", "end", "timeout"),
        ],
        "triggers": [
            {"type": "event", "event": "message.received"},
            {"type": "cron", "cron": "*/15 9-17 * * 1-5", "timezone": "Europe/Zurich"},
            {"type": "webhook"},
            {"type": "manual"},
        ],
    }


def codes(problems: list[Problem]) -> list[str]:
    return sorted(p.code for p in problems)


def test_a_sound_graph_has_no_problems():
    assert validate(good(), REGISTRY) == []
    assert is_valid([])


def test_every_problem_is_listed_at_once():
    raw = good()
    raw["nodes"] += [
        node("call", "http", url="https://dup.example"),  # duplicate id
        node("mystery", "teleport"),  # unknown type
        node("lonely", "http", url="ftp://x", retry={"max_attempts": 99}),
    ]
    raw["edges"] += [
        edge("check", "ghost", "maybe", "bad-edge"),  # dangling target, unknown handle
        edge("start", "mystery"),
    ]
    raw["triggers"] += [{"type": "cron", "cron": "every day", "timezone": "Mars/Olympus"}]
    found = codes(validate(raw, REGISTRY))
    assert found == sorted(
        [
            "duplicate_node_id",
            "unknown_node_type",
            "invalid_config",  # lonely's retry.max_attempts
            "dangling_edge",
            "unknown_handle",
            "unreachable_node",  # lonely
            "dead_end",  # lonely
            "dead_end",  # mystery
            "invalid_cron",
            "unknown_timezone",
        ]
    )


def test_schema_errors_carry_a_field_path_and_the_rest_is_still_checked():
    raw = good()
    raw["nodes"].append({"id": "bad id!", "type": "end"})
    raw["nodes"].append({"id": "typeless"})
    raw["edges"].append({"id": "e-x", "source": "start"})
    raw["edges"].append(edge("bad id!", "end"))  # its source failed the schema: not dangling too
    raw["nodes"][1]["data"]["expression"] = ""  # still checked against its config
    raw["settings"] = {"max_steps": 0}
    problems = validate(raw, REGISTRY)
    by_field = {p.field: p for p in problems}
    assert by_field["nodes.5.id"].code == "schema"
    assert by_field["nodes.6.type"].code == "missing_field"
    assert by_field["nodes.6.type"].node_id == "typeless"
    assert by_field["edges.7.target"].edge_id == "e-x"
    assert by_field["edges.7.target"].message == "Missing required field 'edges.7.target'"
    assert by_field["settings.max_steps"].code == "schema"
    assert by_field["expression"].node_id == "check"
    assert "dangling_edge" not in codes(problems)
    assert not is_valid(problems)


def test_node_config_problems_name_the_field():
    raw = good()
    raw["nodes"][2]["data"] = {
        "method": "DELETE",
        "retry": {"max_attempts": 0, "retry_on": ["sometimes"]},
        "colour": "red",
        "timeout_seconds": -1,
    }
    problems = [p for p in validate(raw, REGISTRY) if p.node_id == "call"]
    fields = {p.field: p.code for p in problems}
    assert fields == {
        "url": "missing_field",
        "method": "invalid_config",
        "retry.max_attempts": "invalid_config",
        "retry.retry_on.0": "invalid_config",
        "colour": "invalid_config",
        "timeout_seconds": "invalid_config",
    }
    assert all(p.severity == "error" for p in problems)


def test_the_node_type_check_runs_on_a_valid_config():
    raw = good()
    raw["nodes"][2]["data"]["url"] = "http://crm.example/api"
    [problem] = validate(raw, REGISTRY)
    assert (problem.code, problem.node_id) == ("node_check", "call")
    assert problem.message == "http node: url must use https"


def test_duplicate_ids():
    raw = good()
    raw["nodes"].append(node("pause", "wait"))
    raw["edges"].append(edge("pause", "end", None, raw["edges"][0]["id"]))
    problems = validate(raw, REGISTRY)
    assert {(p.code, p.node_id or p.edge_id) for p in problems} >= {
        ("duplicate_node_id", "pause"),
        ("duplicate_edge_id", "start-default-check"),
    }


def test_dangling_edges_name_the_missing_end():
    raw = good()
    raw["edges"].append(edge("nowhere", "end", None, "e1"))
    raw["edges"].append(edge("call", "void", None, "e2"))
    dangling = [p for p in validate(raw, REGISTRY) if p.code == "dangling_edge"]
    assert {(p.edge_id, p.field) for p in dangling} == {("e1", "source"), ("e2", "target")}


def test_handles_follow_the_source_type():
    raw = good()
    raw["edges"] += [
        edge("check", "end", "maybe", "h1"),
        edge("end", "start", None, "h2"),  # an end node has no ways out
        edge("start", "end", "timeout", "h3"),
        edge("check", "end", "error", "h4"),  # error is always allowed
    ]
    problems = [p for p in validate(raw, REGISTRY) if p.code == "unknown_handle"]
    assert sorted(p.edge_id for p in problems) == ["h1", "h2", "h3"]
    assert all(p.field == "sourceHandle" for p in problems)
    assert "true, false, error" in problems[0].message


def test_exactly_one_start():
    raw = good()
    raw["nodes"][0]["type"] = "wait"
    assert "missing_start" in codes(validate(raw, REGISTRY))
    raw = good()
    raw["nodes"].append(node("start2", "start"))
    raw["edges"].append(edge("start2", "end"))
    starts = [p for p in validate(raw, REGISTRY) if p.code == "multiple_starts"]
    assert {p.node_id for p in starts} == {"start", "start2"}


def test_unreachable_nodes():
    raw = good()
    raw["nodes"].append(node("island", "wait"))
    raw["nodes"].append(node("island2", "wait"))
    raw["edges"] += [edge("island", "island2"), edge("island2", "end")]
    problems = validate(raw, REGISTRY)
    unreachable = {p.node_id for p in problems if p.code == "unreachable_node"}
    assert unreachable == {"island", "island2"}
    assert "unbounded_loop" not in codes(problems)


def test_a_dead_end_is_only_a_warning():
    raw = good()
    raw["edges"] = [e for e in raw["edges"] if e["source"] != "call" or e["sourceHandle"]]
    problems = validate(raw, REGISTRY)
    assert [(p.code, p.severity, p.node_id) for p in problems] == [("dead_end", "warning", "call")]
    assert is_valid(problems)


def test_a_loop_without_a_wait_is_refused():
    raw = good()
    raw["edges"].append(edge("call", "check", None, "back"))
    [problem] = validate(raw, REGISTRY)
    assert (problem.code, problem.node_id) == ("unbounded_loop", "check")
    assert "check → call" in problem.message


def test_a_loop_through_a_wait_is_fine():
    raw = good()
    raw["edges"].append(edge("pause", "check", "timeout", "again"))
    raw["edges"] = [e for e in raw["edges"] if e["id"] != "pause-timeout-end"]
    assert validate(raw, REGISTRY) == []


def test_self_loops_and_error_edge_loops_count():
    raw = good()
    raw["edges"].append(edge("call", "call", "error", "retry-forever"))
    [problem] = validate(raw, REGISTRY)
    assert (problem.code, problem.node_id) == ("unbounded_loop", "call")


def test_several_loops_are_each_reported():
    raw = good()
    raw["nodes"] += [node("a", "if", expression="x"), node("b", "http", url="https://b")]
    raw["edges"] += [
        edge("call", "check", None, "l1"),
        edge("start", "a", None, "s-a"),
        edge("a", "b", "true"),
        edge("b", "a"),
        edge("a", "end", "false"),
    ]
    loops = [p for p in validate(raw, REGISTRY) if p.code == "unbounded_loop"]
    assert sorted(p.node_id or "" for p in loops) == ["a", "check"]


def test_triggers():
    raw = good()
    raw["triggers"] = [
        {"type": "event"},
        {"type": "cron"},
        {"type": "cron", "cron": "61 * * * *"},
        {"type": "cron", "cron": "0 9 * * *", "timezone": "Nowhere/City"},
        {"type": "cron", "cron": "0 9 * * *", "timezone": "../../etc/passwd"},
        {"type": "email"},
        {"type": "cron", "cron": "0 9 * * *", "timezone": "Europe/" + "x" * 5000},
        {"type": "cron", "cron": "0 9 * * *", "timezone": "localtime"},
        {"type": "cron", "cron": "0 9 * * *", "timezone": "America/Argentina/Buenos_Aires"},
    ]
    problems = validate(raw, REGISTRY)
    assert {(p.code, p.field) for p in problems} == {
        ("missing_event", "triggers.0.event"),
        ("missing_cron", "triggers.1.cron"),
        ("invalid_cron", "triggers.2.cron"),
        ("unknown_timezone", "triggers.3.timezone"),
        ("unknown_timezone", "triggers.4.timezone"),
        ("schema", "triggers.5.type"),
        ("unknown_timezone", "triggers.6.timezone"),
        ("unknown_timezone", "triggers.7.timezone"),
    }


def test_trigger_rules_are_checked_by_the_rules_module():
    rules = pytest.importorskip("frontdesk.workflows.rules")
    assert rules
    raw = good()
    amount = {"field": "trigger.amount", "operator": "greater", "value": 100}
    raw["triggers"][0]["when"] = {"logical": "AND", "conditions": [amount]}
    assert validate(raw, REGISTRY) == []
    bad = {"field": "trigger.text", "operator": "resembles", "value": "x"}
    raw["triggers"][0]["when"] = {"logical": "AND", "conditions": [bad]}
    problems = validate(raw, REGISTRY)
    assert problems and {p.code for p in problems} == {"invalid_rule"}
    assert problems[0].field == "triggers.0.when"


@pytest.mark.parametrize("raw", [[], "graph", None, {"nodes": "many"}, {"nodes": [1, None]}])
def test_garbage_is_reported_not_raised(raw: Any):
    problems = validate(raw, REGISTRY)
    assert problems and not is_valid(problems)


def test_an_empty_definition_needs_a_start():
    assert codes(validate({}, REGISTRY)) == ["missing_start"]


def test_problems_serialise_to_json():
    raw = good()
    raw["edges"].append(edge("call", "void", None, "e2"))
    [problem] = validate(raw, REGISTRY)
    assert json.loads(problem.model_dump_json(exclude_none=True)) == {
        "code": "dangling_edge",
        "message": "Edge 'e2' has no target node 'void'",
        "severity": "error",
        "edge_id": "e2",
        "field": "target",
    }


def test_too_many_nodes_is_reported_and_the_rest_bounded():
    raw = good()
    raw["nodes"] += [node(f"n{i}", "wait") for i in range(600)]
    problems = validate(raw, REGISTRY)
    assert any(p.code == "schema" and p.field == "nodes" for p in problems)
