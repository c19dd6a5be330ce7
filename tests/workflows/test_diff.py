"""Structural diff of definitions: nodes, edges, parameters, triggers, variables, settings."""

from __future__ import annotations

import copy
import json
from typing import Any

from frontdesk.workflows.diff import MAX_DEPTH, ParamChange, diff


def base() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
            {
                "id": "call",
                "type": "http",
                "position": {"x": 200, "y": 0},
                "data": {
                    "url": "https://crm.example/api",
                    "headers": {"Accept": "application/json"},
                    "retry": {"max_attempts": 3, "retry_on": ["transient", "rate_limit"]},
                    "mapping": [
                        {"name": "total", "path": "body.total"},
                        {"name": "tier", "path": "body.tier"},
                    ],
                    "scopes": ["read", "write"],
                },
            },
            {"id": "end", "type": "end", "position": {"x": 400, "y": 0}, "data": {}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "call"},
            {"id": "e2", "source": "call", "target": "end", "label": "done"},
        ],
        "triggers": [
            {"type": "event", "event": "message.received"},
            {"type": "cron", "cron": "0 9 * * *", "timezone": "UTC"},
        ],
        "variables": {"threshold": 100, "team": {"name": "sales"}},
        "settings": {"max_steps": 1000},
    }


def node(definition: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in definition["nodes"] if n["id"] == node_id)


def test_identical_definitions_have_no_diff():
    result = diff(base(), base())
    assert result.summary.unchanged
    assert result.model_dump(exclude={"summary"}) == {
        "nodes_added": [],
        "nodes_removed": [],
        "nodes_changed": [],
        "edges_added": [],
        "edges_removed": [],
        "edges_changed": [],
        "triggers_added": [],
        "triggers_removed": [],
        "triggers_changed": [],
        "variables": [],
        "settings": [],
    }


def test_nodes_added_and_removed():
    new = base()
    new["nodes"].append({"id": "wait", "type": "delay", "data": {"label": "Cool off"}})
    new["nodes"] = [n for n in new["nodes"] if n["id"] != "start"]
    result = diff(base(), new)
    assert [(n.id, n.type, n.label) for n in result.nodes_added] == [("wait", "delay", "Cool off")]
    assert [n.id for n in result.nodes_removed] == ["start"]
    assert (result.summary.nodes_added, result.summary.nodes_removed) == (1, 1)
    assert not result.summary.unchanged


def test_nested_parameter_changes_have_dotted_paths():
    new = base()
    data = node(new, "call")["data"]
    data["retry"]["max_attempts"] = 5
    data["headers"]["X-Trace"] = "1"
    del data["headers"]["Accept"]
    data["timeout_seconds"] = 10
    [change] = diff(base(), new).nodes_changed
    assert change.id == "call" and not change.cosmetic
    assert change.type_change is None and change.position_change is None
    assert change.params == [
        ParamChange(path="data.headers.Accept", kind="removed", old="application/json"),
        ParamChange(path="data.headers.X-Trace", kind="added", new="1"),
        ParamChange(path="data.retry.max_attempts", kind="changed", old=3, new=5),
        ParamChange(path="data.timeout_seconds", kind="added", new=10),
    ]


def test_type_and_position_are_reported_apart():
    new = base()
    node(new, "call")["type"] = "webhook_call"
    node(new, "end")["position"] = {"x": 420, "y": 80}
    node(new, "end")["selected"] = True  # React Flow UI state: ignored
    result = diff(base(), new)
    by_id = {c.id: c for c in result.nodes_changed}
    assert by_id["call"].type_change is not None
    assert (by_id["call"].type_change.old, by_id["call"].type_change.new) == (
        "http",
        "webhook_call",
    )
    assert not by_id["call"].cosmetic and by_id["call"].params == []
    moved = by_id["end"]
    assert moved.cosmetic and moved.params == [] and moved.type_change is None
    assert moved.position_change is not None
    assert moved.position_change.new == {"x": 420.0, "y": 80.0}
    assert (result.summary.nodes_changed, result.summary.nodes_moved) == (1, 1)


def test_a_move_alone_leaves_the_definition_unchanged():
    new = base()
    node(new, "start")["position"] = {"x": -50, "y": 10}
    summary = diff(base(), new).summary
    assert summary.unchanged and summary.nodes_moved == 1 and summary.nodes_changed == 0


def test_reordered_lists():
    new = base()
    data = node(new, "call")["data"]
    data["scopes"] = ["write", "read"]
    data["mapping"] = list(reversed(data["mapping"]))
    data["retry"]["retry_on"] = ["rate_limit", "transient"]
    [change] = diff(base(), new).nodes_changed
    assert [(p.path, p.kind) for p in change.params] == [
        ("data.retry.retry_on", "reordered"),
        ("data.mapping", "reordered"),
        ("data.scopes", "reordered"),
    ]
    mapping = next(p for p in change.params if p.path == "data.mapping")
    assert (mapping.old, mapping.new) == (["total", "tier"], ["tier", "total"])


def test_keyed_list_items_are_matched_by_name():
    new = base()
    mapping = node(new, "call")["data"]["mapping"]
    mapping.insert(0, {"name": "email", "path": "body.email"})
    mapping[2]["path"] = "body.level"  # tier
    [change] = diff(base(), new).nodes_changed
    assert [(p.path, p.kind, p.old, p.new) for p in change.params] == [
        ("data.mapping[email]", "added", None, {"name": "email", "path": "body.email"}),
        ("data.mapping[tier].path", "changed", "body.tier", "body.level"),
    ]


def test_unkeyed_lists_are_aligned_not_shifted():
    old, new = base(), base()
    node(old, "call")["data"]["scopes"] = ["a", "b", "c", "d"]
    node(new, "call")["data"]["scopes"] = ["a", "x", "b", "c", "e"]
    [change] = diff(old, new).nodes_changed
    assert [(p.path, p.kind, p.old, p.new) for p in change.params] == [
        ("data.scopes.1", "added", None, "x"),
        ("data.scopes.4", "changed", "d", "e"),
    ]


def test_value_kinds_matter():
    old, new = base(), base()
    node(new, "call")["data"]["retry"]["max_attempts"] = 3.0
    node(old, "call")["data"]["flag"] = 1
    node(new, "call")["data"]["flag"] = True
    [change] = diff(old, new).nodes_changed
    assert [p.path for p in change.params] == ["data.retry.max_attempts", "data.flag"]


def test_edges_added_removed_and_rewired():
    new = base()
    new["edges"][0]["target"] = "end"
    new["edges"].append({"id": "e3", "source": "call", "target": "end", "sourceHandle": "error"})
    new["edges"] = [e for e in new["edges"] if e["id"] != "e2"]
    result = diff(base(), new)
    assert [(e.id, e.handle) for e in result.edges_added] == [("e3", "error")]
    assert [e.id for e in result.edges_removed] == ["e2"]
    [rewired] = result.edges_changed
    assert rewired.id == "e1" and rewired.old_id is None
    assert rewired.changes == [ParamChange(path="target", kind="changed", old="call", new="end")]


def test_a_renamed_edge_is_the_same_edge():
    new = base()
    new["edges"][0]["id"] = "xy-edge__start-call"
    new["edges"][1]["id"] = "xy-edge__call-end"
    new["edges"][1]["label"] = "finished"
    result = diff(base(), new)
    assert result.edges_added == [] and result.edges_removed == []
    [relabelled] = result.edges_changed
    assert (relabelled.id, relabelled.old_id) == ("xy-edge__call-end", "e2")
    assert relabelled.changes == [
        ParamChange(path="label", kind="changed", old="done", new="finished")
    ]
    assert result.summary.edges_changed == 1


def test_reordered_nodes_and_edges_are_no_change():
    new = copy.deepcopy(base())
    new["nodes"].reverse()
    new["edges"].reverse()
    new["triggers"].reverse()
    assert diff(base(), new).summary.unchanged


def test_triggers():
    new = base()
    new["triggers"][1]["cron"] = "0 10 * * *"
    new["triggers"][0]["event"] = "intent.detected"
    new["triggers"].append({"type": "webhook"})
    result = diff(base(), new)
    assert result.triggers_added == [
        {"type": "event", "event": "intent.detected"},
        {"type": "webhook"},
    ]
    assert result.triggers_removed == [{"type": "event", "event": "message.received"}]
    [cron] = result.triggers_changed
    assert (cron.index, cron.type) == (1, "cron")
    assert cron.changes == [
        ParamChange(path="cron", kind="changed", old="0 9 * * *", new="0 10 * * *")
    ]


def test_variables_and_settings():
    new = base()
    new["variables"]["threshold"] = 150
    new["variables"]["team"]["name"] = "support"
    new["variables"]["region"] = "eu"
    new["settings"]["max_steps"] = 50
    result = diff(base(), new)
    assert [(p.path, p.kind) for p in result.variables] == [
        ("variables.threshold", "changed"),
        ("variables.team.name", "changed"),
        ("variables.region", "added"),
    ]
    assert result.settings == [
        ParamChange(path="settings.max_steps", kind="changed", old=1000, new=50)
    ]
    assert (result.summary.variables_changed, result.summary.settings_changed) == (3, 1)


def test_summary_counts_everything():
    new = base()
    new["nodes"].append({"id": "n", "type": "delay"})
    node(new, "call")["data"]["url"] = "https://crm.example/v2"
    new["edges"].append({"id": "e9", "source": "call", "target": "n"})
    summary = diff(base(), new).summary
    assert summary.model_dump() == {
        "nodes_added": 1,
        "nodes_removed": 0,
        "nodes_changed": 1,
        "nodes_moved": 0,
        "edges_added": 1,
        "edges_removed": 0,
        "edges_changed": 0,
        "triggers_added": 0,
        "triggers_removed": 0,
        "triggers_changed": 0,
        "variables_changed": 0,
        "settings_changed": 0,
        "unchanged": False,
    }


def test_drafts_with_holes_still_diff():
    old = {"nodes": [{"id": "a", "type": "start"}, "junk", {"type": "no id"}], "edges": "nope"}
    new = {"nodes": [{"id": "a", "type": "start", "data": {"x": 1}}], "variables": []}
    result = diff(old, new)
    assert [p.path for p in result.nodes_changed[0].params] == ["data.x"]
    assert diff({}, {}).summary.unchanged


def test_the_diff_is_json():
    new = base()
    node(new, "call")["data"]["retry"]["max_attempts"] = 5
    body = json.loads(diff(base(), new).model_dump_json())
    assert body["nodes_changed"][0]["params"][0]["path"] == "data.retry.max_attempts"


def test_deep_nesting_is_bounded():
    deep: object = 0
    for _ in range(900):
        deep = {"a": deep}
    old = {"nodes": [{"id": "n", "type": "set", "data": {"x": deep}}]}
    new = {"nodes": [{"id": "n", "type": "set", "data": {"x": [deep]}}]}
    assert diff(old, old).summary.unchanged
    [change] = diff(old, new).nodes_changed
    assert [p.path for p in change.params] == ["data.x"]

    def nested(leaf: int) -> dict[str, object]:
        value: object = leaf
        for _ in range(40):
            value = {"d": value}
        return {"nodes": [{"id": "n", "type": "set", "data": value}]}

    [change] = diff(nested(1), nested(2)).nodes_changed
    [param] = change.params
    assert param.path == "data" + ".d" * MAX_DEPTH and param.kind == "changed"


def test_junk_where_names_and_numbers_belong_is_tolerated():
    old = {
        "nodes": [{"id": "a", "type": "start", "position": {"x": "left", "y": True}}],
        "edges": [{"id": "e", "source": 1, "target": ["x"], "sourceHandle": {}}],
        "triggers": [{"type": ["cron"], "cron": "0 9 * * *"}],
    }
    new = {
        "nodes": [
            {"id": "a", "type": 7, "position": {"x": float("inf"), "y": 2}},
            {"id": "b", "type": None, "data": {"label": 3}},
        ],
        "edges": [{"id": "f", "source": None, "target": "b"}],
        "triggers": [{"type": ["cron"], "cron": "0 10 * * *"}],
    }
    result = diff(old, new)
    assert [(n.id, n.type, n.label) for n in result.nodes_added] == [("b", None, None)]
    [changed] = result.nodes_changed
    assert changed.type is None and changed.type_change is not None
    assert changed.position_change is not None
    assert changed.position_change.new == {"x": 0.0, "y": 2.0}
    assert [(e.id, e.source, e.handle) for e in result.edges_removed] == [("e", None, "default")]
    assert result.triggers_changed[0].type is None
    json.loads(result.model_dump_json())
