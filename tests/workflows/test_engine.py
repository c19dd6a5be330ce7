"""The interpreter: routing, fork/join policies, waits, retries, error edges, limits."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from frontdesk.core.clock import utcnow
from frontdesk.workflows.engine import Graph, Interpreter, new_state
from frontdesk.workflows.fakes import SimulatedEffects
from frontdesk.workflows.nodes.base import Effect, Node, NodeError, Result, Step, Wake
from frontdesk.workflows.nodes.registry import NODES


class Hang(Node):
    """A node that never finishes (what a stuck integration looks like)."""

    type = "hang"
    effect: ClassVar[Effect] = Effect.EXTERNAL

    async def run(self, step: Step) -> Result:
        await asyncio.sleep(3600)
        return Result()


class Flaky(Node):
    """Fails with the error class in its label until the attempt number reaches 3."""

    type = "flaky"
    effect: ClassVar[Effect] = Effect.EXTERNAL

    async def run(self, step: Step) -> Result:
        if step.attempt < 3:
            raise NodeError("boom", step.config.label or "transient", retry_after=7)
        return Result(output={"attempt": step.attempt})


class Where(Node):
    """Records the task it runs in (a pure node: it never awaits)."""

    type = "where"
    tasks: ClassVar[list[asyncio.Task[Any] | None]] = []

    async def run(self, step: Step) -> Result:
        self.tasks.append(asyncio.current_task())
        return Result()


REGISTRY: dict[str, Node] = {**NODES, "hang": Hang(), "flaky": Flaky(), "where": Where()}


def graph(
    nodes: list[tuple[str, str, dict[str, Any]]], edges: list[tuple[str, str, str | None]]
) -> dict[str, Any]:
    return {
        "nodes": [{"id": i, "type": t, "data": d} for i, t, d in nodes],
        "edges": [
            {"id": f"e{n}", "source": s, "target": t, **({"sourceHandle": h} if h else {})}
            for n, (s, t, h) in enumerate(edges)
        ],
    }


def interpreter(
    raw: dict[str, Any], state: dict[str, Any] | None = None, **instance: Any
) -> Interpreter:
    g = Graph.build(raw, REGISTRY)
    return Interpreter(
        g,
        REGISTRY,
        state or new_state({}, g.start),
        SimulatedEffects(),
        instance={"id": "run1", "input": instance.get("input", {})},
        tenant_id="t",
        now=utcnow(),
    )


def setter(name: str, value: Any) -> dict[str, Any]:
    return {"assignments": [{"name": name, "mode": "static", "value": value}]}


async def test_linear_run_completes_with_the_end_output():
    raw = graph(
        [
            ("s", "start", {}),
            ("a", "set", setter("x", 2)),
            ("e", "end", {"output": {"x": "{{ vars.x }}"}}),
        ],
        [("s", "a", None), ("a", "e", None)],
    )
    seg = await interpreter(raw).advance()
    assert seg.finished == "completed"
    assert seg.output == {"x": 2}
    assert [s.node_id for s in seg.steps] == ["s", "a", "e"]
    assert [s.seq for s in seg.steps] == [1, 2, 3]


async def test_condition_routes_by_handle_and_explains():
    raw = graph(
        [
            ("s", "start", {}),
            (
                "c",
                "condition",
                {
                    "rules": {
                        "logical": "AND",
                        "conditions": [
                            {"field": "input.score", "operator": "greater", "value": 80}
                        ],
                    }
                },
            ),
            ("hot", "end", {"output": "hot"}),
            ("cold", "end", {"output": "cold"}),
        ],
        [("s", "c", None), ("c", "hot", "true"), ("c", "cold", "false")],
    )
    seg = await interpreter(raw, input={"score": 85}).advance()
    assert seg.output == "hot"
    assert "85" in (seg.steps[1].explanation or "")
    seg = await interpreter(raw, input={"score": 5}).advance()
    assert seg.output == "cold"


def fork_join(policy: str, count: int = 1, timeout: float | None = None) -> dict[str, Any]:
    join: dict[str, Any] = {"policy": policy, "count": count}
    if timeout:
        join["wait_timeout_seconds"] = timeout
    return graph(
        [
            ("s", "start", {}),
            ("f", "fork", {}),
            ("a", "set", setter("a", 1)),
            ("b", "delay", {"seconds": 60}),
            ("c", "set", setter("c", 1)),
            ("j", "join", join),
            ("after", "set", setter("joined", True)),
            ("e", "end", {}),
        ],
        [
            ("s", "f", None),
            ("f", "a", None),
            ("f", "b", None),
            ("f", "c", None),
            ("a", "j", None),
            ("b", "j", None),
            ("c", "j", None),
            ("j", "after", None),
            ("j", "e", "timeout"),
            ("after", "e", None),
        ],
    )


async def test_join_all_waits_for_every_branch_including_the_delayed_one():
    run = interpreter(fork_join("all"))
    seg = await run.advance()
    assert seg.finished is None
    assert [p.wait.kind for p in seg.parked] == ["timer"]
    assert "joined" not in run.state["vars"]
    delayed = seg.parked[0].token
    run.seg = type(seg)()
    seg = await run.advance((delayed, Wake("timer")))
    assert seg.finished == "completed"
    assert run.state["vars"]["joined"] is True
    assert sorted(run.state["nodes"]["j"]["arrived"]) == ["f.0", "f.1", "f.2"]


async def test_join_first_n_goes_on_and_cancels_the_branch_still_waiting():
    run = interpreter(fork_join("first_n", count=2))
    seg = await run.advance()
    assert seg.finished == "completed"
    assert run.state["vars"]["joined"] is True
    assert seg.cancelled, "the delayed branch was dropped"


async def test_join_any_fires_once():
    run = interpreter(fork_join("any"))
    seg = await run.advance()
    assert seg.finished == "completed"
    assert [s.node_id for s in seg.steps].count("after") == 1


async def test_join_timeout_takes_the_timeout_edge():
    run = interpreter(fork_join("all", timeout=5))
    seg = await run.advance()
    timers = [p for p in seg.parked if p.node_id == "j"]
    assert timers, "the join armed its timeout at the first arrival"
    run.seg = type(seg)()
    seg = await run.advance((timers[0].token, Wake("timer")))
    assert seg.finished == "completed"
    assert "joined" not in run.state["vars"]
    assert any(s.node_id == "j" and s.handle == "timeout" for s in seg.steps)


async def test_a_second_call_out_waits_for_the_next_segment():
    raw = graph(
        [
            ("s", "start", {}),
            ("h1", "http", {"url": "https://api.example.com/1"}),
            ("h2", "http", {"url": "https://api.example.com/2"}),
            ("e", "end", {}),
        ],
        [("s", "h1", None), ("h1", "h2", None), ("h2", "e", None)],
    )
    run = interpreter(raw)
    seg = await run.advance()
    assert seg.more and seg.finished is None
    assert [s.node_id for s in seg.steps] == ["s", "h1"]
    again = interpreter(raw, state=run.state)
    seg = await again.advance()
    assert seg.finished == "completed"
    assert [s.node_id for s in seg.steps] == ["h2", "e"]


async def test_recomputing_from_the_same_state_gives_the_same_step_keys():
    raw = graph(
        [
            ("s", "start", {}),
            ("a", "set", setter("x", 1)),
            ("h", "http", {"url": "https://x.example/"}),
            ("e", "end", {}),
        ],
        [("s", "a", None), ("a", "h", None), ("h", "e", None)],
    )
    first, second = interpreter(raw), interpreter(raw)
    await first.advance()
    await second.advance()
    assert first.effects.calls[0]["request"] == second.effects.calls[0]["request"]  # type: ignore[attr-defined]
    assert [s.seq for s in first.seg.steps] == [s.seq for s in second.seg.steps]


@pytest.mark.parametrize("error_class,attempts", [("transient", 3), ("configuration", 1)])
async def test_retry_policy_by_error_class(error_class: str, attempts: int):
    raw = graph(
        [
            ("s", "start", {}),
            (
                "x",
                "flaky",
                {"label": error_class, "retry": {"max_attempts": 5, "backoff_seconds": 1}},
            ),
            ("e", "end", {}),
        ],
        [("s", "x", None), ("x", "e", None)],
    )
    run = interpreter(raw)
    seg = await run.advance()
    while seg.parked:
        retry = seg.parked[0]
        assert (retry.wait.until - run.now).total_seconds() >= 7, "Retry-After is honoured"
        run = interpreter(raw, state=run.state)
        seg = await run.advance((retry.token, Wake("timer")))
    statuses = [s.status for s in run.seg.steps]
    if error_class == "transient":
        assert seg.finished == "completed"
        assert run.state["nodes"]["x"] == {"attempt": attempts}
    else:
        assert seg.finished == "failed" and statuses[-1] == "failed"
        assert seg.error and seg.error["class"] == "configuration"


async def test_error_edge_and_continue_on_error():
    nodes = [
        ("s", "start", {}),
        ("x", "flaky", {"label": "configuration"}),
        ("fallback", "end", {"output": "fallback"}),
        ("e", "end", {"output": "normal"}),
    ]
    with_edge = graph(nodes, [("s", "x", None), ("x", "e", None), ("x", "fallback", "error")])
    seg = await interpreter(with_edge).advance()
    assert seg.output == "fallback"
    nodes[1] = ("x", "flaky", {"label": "configuration", "continue_on_error": True})
    seg = await interpreter(graph(nodes, [("s", "x", None), ("x", "e", None)])).advance()
    assert seg.output == "normal"


async def test_a_node_without_effects_runs_in_the_runs_own_task():
    # Only a node that awaits can be stopped by a timeout: the others get no task of their own.
    raw = graph(
        [("s", "start", {}), ("w", "where", {"timeout_seconds": 5}), ("e", "end", {})],
        [("s", "w", None), ("w", "e", None)],
    )
    Where.tasks.clear()
    seg = await interpreter(raw).advance()
    assert seg.finished == "completed"
    assert Where.tasks == [asyncio.current_task()]


async def test_a_hanging_node_is_stopped_by_its_timeout():
    raw = graph(
        [("s", "start", {}), ("h", "hang", {"timeout_seconds": 0.05}), ("e", "end", {})],
        [("s", "h", None), ("h", "e", None)],
    )
    seg = await interpreter(raw).advance()
    assert seg.finished == "failed"
    assert seg.error and "timed out" in seg.error["message"]


async def test_a_loop_without_a_wait_is_stopped_by_the_step_limit():
    raw = graph(
        [("s", "start", {}), ("a", "set", setter("x", 1)), ("b", "set", setter("y", 1))],
        [("s", "a", None), ("a", "b", None), ("b", "a", None)],
    )
    raw["settings"] = {"max_steps": 50}
    seg = await interpreter(raw).advance()
    assert seg.finished == "failed"
    assert seg.error and "50 steps" in seg.error["message"]


async def test_skip_and_retry_from_a_failed_node():
    raw = graph(
        [
            ("s", "start", {}),
            ("x", "flaky", {"label": "configuration"}),
            ("e", "end", {"output": "done"}),
        ],
        [("s", "x", None), ("x", "e", None)],
    )
    run = interpreter(raw)
    seg = await run.advance()
    assert seg.finished == "failed"
    skipper = interpreter(raw, state=run.state)
    assert skipper.skip("x", "known outage", "member-1")
    seg = await skipper.advance()
    assert seg.finished == "completed" and seg.output == "done"
    skipped = seg.steps[0]
    assert (skipped.status, skipped.skip_reason, skipped.skipped_by) == (
        "skipped",
        "known outage",
        "member-1",
    )
    assert not interpreter(raw).skip("nowhere", "x", None)


async def test_subworkflow_depth_limit():
    raw = graph(
        [("s", "start", {}), ("child", "subworkflow", {"workflow_id": "w1"}), ("e", "end", {})],
        [("s", "child", None), ("child", "e", None)],
    )
    g = Graph.build(raw, REGISTRY)
    deep = Interpreter(
        g,
        REGISTRY,
        new_state({}, g.start),
        SimulatedEffects(),
        instance={"id": "r"},
        tenant_id="t",
        now=utcnow(),
        level=5,
    )
    seg = await deep.advance()
    assert seg.finished == "failed"
    assert seg.error and "deeper than 5" in seg.error["message"]
