"""The simulator: runs a draft or a version on sample data, side-effect free, step by step.

The same interpreter as real runs drives the graph; side effects go to recorded fakes
(:class:`~frontdesk.workflows.fakes.SimulatedEffects`); time is virtual, so a three-day delay
passes at once; waits are answered from the sample data (events per node, approval decisions)
or take their timeout edge. Shadow runs replay the inputs and recorded HTTP/LLM results of past
runs through a draft and compare the path it takes with the path the live version took.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from frontdesk.core.clock import utcnow
from frontdesk.core.ids import new_id
from frontdesk.workflows.engine import Graph, Interpreter, StepRecord, new_state
from frontdesk.workflows.fakes import SimulatedEffects
from frontdesk.workflows.nodes.base import Wake
from frontdesk.workflows.nodes.registry import NODES

MAX_SEGMENTS = 500
ChildLoader = Callable[[str], Awaitable[dict[str, Any] | None]]


@dataclass(slots=True)
class Sample:
    """What a simulated run starts with, and how its waits are answered."""

    input: dict[str, Any] = field(default_factory=dict)
    trigger: dict[str, Any] = field(default_factory=dict)
    entity_type: str | None = None
    entity_id: str | None = None
    responses: dict[str, Any] = field(default_factory=dict)
    """Recorded answers of HTTP / LLM nodes, by node id."""
    events: dict[str, Any] = field(default_factory=dict)
    """The event (or reply) each wait node receives, by node id; absent → its timeout."""
    approvals: dict[str, str] = field(default_factory=dict)
    """``approve`` / ``reject`` by approval node id (default ``approve``)."""


@dataclass(slots=True)
class Trace:
    """A simulated run: its outcome, every step, and the side effects it would have had."""

    status: str
    output: Any
    error: dict[str, Any] | None
    steps: list[dict[str, Any]]
    effects: list[dict[str, Any]]
    waits: list[dict[str, Any]]
    elapsed_virtual_seconds: float

    @property
    def path(self) -> list[str]:
        """The node ids in the order they ran."""
        return [s["node_id"] for s in self.steps if s["status"] != "waiting"]


def _step_json(record: StepRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "node_id": record.node_id,
        "node_type": record.node_type,
        "token": record.token,
        "status": record.status,
        "input": record.input,
        "output": record.output,
        "handle": record.handle,
        "error": record.error,
        "explanation": record.explanation,
        "attempts": record.attempts,
        "at": record.started_at.isoformat(),
    }


async def simulate(
    definition: Mapping[str, Any],
    sample: Sample,
    *,
    tenant_id: str = "simulation",
    load_child: ChildLoader | None = None,
    level: int = 0,
) -> Trace:
    """Run ``definition`` on ``sample`` with fake effects and virtual time."""
    graph = Graph.build(definition, NODES)
    state = new_state(graph.definition.variables, graph.start)
    effects = SimulatedEffects(sample.responses)
    instance = {
        "id": f"sim-{new_id()}",
        "workflow_id": None,
        "version": None,
        "input": sample.input,
        "trigger": sample.trigger,
        "entity_type": sample.entity_type,
        "entity_id": sample.entity_id,
    }
    started = now = utcnow()
    steps: dict[int, dict[str, Any]] = {}
    waits: list[dict[str, Any]] = []
    wake: tuple[str, Wake] | None = None
    status, output, error = "waiting", None, None
    for _ in range(MAX_SEGMENTS):
        interp = Interpreter(
            graph,
            NODES,
            state,
            effects,
            instance=instance,
            tenant_id=tenant_id,
            now=now,
            level=level,
        )
        segment = await interp.advance(wake)
        for record in segment.steps:
            steps[record.seq] = _step_json(record) | (
                {"input": steps[record.seq]["input"]}
                if record.resumed and record.seq in steps
                else {}
            )
        if segment.finished:
            status, output, error = segment.finished, segment.output, segment.error
            break
        if segment.more:
            wake = None
            continue
        answer = await _answer(graph, state, sample, now, tenant_id, load_child, level)
        if answer is None:
            break  # waiting for something the sample does not provide, with no timeout
        now, wake, waited = answer
        waits.append(waited)
    return Trace(
        status=status,
        output=output,
        error=error,
        steps=[steps[k] for k in sorted(steps)],
        effects=effects.calls,
        waits=waits,
        elapsed_virtual_seconds=(now - started).total_seconds(),
    )


async def _answer(
    graph: Graph,
    state: dict[str, Any],
    sample: Sample,
    now: datetime,
    tenant_id: str,
    load_child: ChildLoader | None,
    level: int,
) -> tuple[datetime, tuple[str, Wake], dict[str, Any]] | None:
    """The next wake of a waiting branch: an answer from the sample, else the earliest timer."""
    waiting = [t for t in state["tokens"] if t.get("wait")]
    for token in waiting:  # answers that need no clock first
        node_id, kind = token["node"], token["wait"]["kind"]
        wake = await _sampled(graph, token, sample, tenant_id, load_child, level)
        if wake is not None:
            return now, (token["id"], wake), {"node_id": node_id, "kind": kind, "answer": wake.kind}
    timed = [t for t in waiting if t["wait"].get("until")]
    if not timed:
        return None
    token = min(timed, key=lambda t: t["wait"]["until"])
    until = datetime.fromisoformat(token["wait"]["until"])
    kind = "timer" if token["wait"]["kind"] in ("timer", "retry") else "timeout"
    waited = {"node_id": token["node"], "kind": token["wait"]["kind"], "answer": kind}
    return max(now, until), (token["id"], Wake(kind)), waited


async def _sampled(
    graph: Graph,
    token: dict[str, Any],
    sample: Sample,
    tenant_id: str,
    load_child: ChildLoader | None,
    level: int,
) -> Wake | None:
    node_id, kind = token["node"], token["wait"]["kind"]
    if kind == "approval":
        decision = sample.approvals.get(node_id, "approve")
        return Wake("approval", {"decision": decision, "by": "simulator", "comment": ""})
    if kind == "event" and node_id in sample.events:
        return Wake("event", dict(sample.events[node_id]))
    if kind == "child":
        config = graph.configs[node_id]
        workflow_id: str = getattr(config, "workflow_id", "")
        child = await load_child(workflow_id) if load_child else None
        if child is None:
            return Wake("child", {"status": "failed", "error": {"message": "no such workflow"}})
        trace = await simulate(
            child,
            Sample(
                input=dict(token["wait"].get("data", {}).get("input") or {}),
                responses=sample.responses,
            ),
            tenant_id=tenant_id,
            load_child=load_child,
            level=level + 1,
        )
        return Wake("child", {"status": trace.status, "output": trace.output, "error": trace.error})
    return None


def compare(live_steps: list[dict[str, Any]], live_output: Any, trace: Trace) -> dict[str, Any]:
    """How a draft's simulated run differs from what the live version did."""
    live_path = [s["node_id"] for s in live_steps if s["status"] != "waiting"]
    draft_path = trace.path
    diverged = next(
        (i for i, (a, b) in enumerate(zip(live_path, draft_path, strict=False)) if a != b),
        None if len(live_path) == len(draft_path) else min(len(live_path), len(draft_path)),
    )
    return {
        "same_path": live_path == draft_path,
        "same_output": live_output == trace.output,
        "diverges_at": diverged,
        "live_path": live_path,
        "draft_path": draft_path,
        "live_output": live_output,
        "draft_output": trace.output,
        "draft_status": trace.status,
    }


def replayed_responses(live_steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The recorded results of a past run's HTTP and LLM nodes, to answer a shadow run."""
    responses: dict[str, Any] = {}
    for step in live_steps:
        if step["node_type"] in ("http", "llm") and step["status"] == "completed":
            responses[step["node_id"]] = step["output"]
    return responses
