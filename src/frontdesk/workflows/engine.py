"""The interpreter: moves a run's tokens through its graph, in memory, until they all wait or end.

A run's state is plain JSON (:class:`State`): tokens (each a position in the graph, maybe
parked), variables, the outputs of the nodes run so far, fork/join bookkeeping and a step
counter. :meth:`Interpreter.advance` runs ready tokens one node at a time and returns what
happened as a :class:`Segment` (steps run, waits to register, children to start, whether the run
finished); a driver persists it — the durable driver in one transaction, the simulator nowhere.

Where the interpreter stops decides durability:

* pure nodes (condition, set, …) are never persisted on their own: after a crash they are
  recomputed from the last persisted state;
* a node with database effects writes in the driver's transaction, atomic with the new state;
* a node that calls out (HTTP, LLM) runs first in its segment, before any write; a second one
  waits for the next segment, so the first one's result is committed before the next call;
* a waiting token ends its part of the segment until the driver wakes it.

Step keys (``{instance}:{seq}``) are deterministic: recomputing from the same state gives the same
keys, so a side effect that was committed is recognised and never repeated.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from frontdesk.queue.base import backoff_seconds
from frontdesk.workflows.definition import Definition, EdgeSpec, NodeSpec
from frontdesk.workflows.nodes.base import (
    Effect,
    Effects,
    Node,
    NodeConfig,
    NodeError,
    Result,
    Step,
    Wait,
    Wake,
)

DEFAULT_TIMEOUT = 60.0
MAX_OUTPUT_BYTES = 64 * 1024
MAX_STATE_BYTES = 2 * 1024 * 1024
TRACE_BYTES = 16 * 1024


class RunFailed(Exception):
    """The run cannot go on (a node failed with no way around it, or a limit was hit)."""

    def __init__(self, node_id: str | None, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "run failed"))
        self.node_id = node_id
        self.error = error


@dataclass(slots=True)
class StepRecord:
    """One node execution, for the timeline and the simulator's trace."""

    seq: int
    node_id: str
    node_type: str
    token: str
    status: str  # completed / failed / retrying / waiting / skipped / cancelled
    started_at: datetime
    finished_at: datetime | None
    input: Any = None
    output: Any = None
    handle: str | None = None
    error: dict[str, Any] | None = None
    explanation: str | None = None
    attempts: int = 1
    resumed: bool = False
    """True when this record finishes a step first recorded as ``waiting`` (an update)."""
    skip_reason: str | None = None
    skipped_by: str | None = None


@dataclass(slots=True)
class Parked:
    """A token that started waiting in this segment."""

    token: str
    node_id: str
    wait: Wait


@dataclass(slots=True)
class Segment:
    """What one :meth:`Interpreter.advance` did, for the driver to persist."""

    steps: list[StepRecord] = field(default_factory=list)
    parked: list[Parked] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    """Tokens that were waiting and ran again (their wait rows go)."""
    cancelled: list[str] = field(default_factory=list)
    """Waiting tokens dropped by a join or the end of the run (their wait rows go)."""
    more: bool = False
    """Ready tokens are left over: the driver must schedule another segment."""
    wrote: bool = False
    finished: str | None = None
    """``completed`` or ``failed`` when the run ended in this segment."""
    output: Any = None
    error: dict[str, Any] | None = None


@dataclass(slots=True)
class Graph:
    """A validated definition indexed for the interpreter, with each node's parsed config."""

    definition: Definition
    nodes: dict[str, NodeSpec]
    configs: dict[str, NodeConfig]
    outgoing: dict[str, list[EdgeSpec]]
    incoming: dict[str, int]
    start: str
    number: int | None = None
    """The version number, when the graph is a stored version's."""

    @classmethod
    def build(cls, raw: Mapping[str, Any], registry: Mapping[str, Node]) -> Graph:
        """Index ``raw``; raises ``ValueError`` when it cannot run (validate first for detail)."""
        definition = Definition.model_validate(raw)
        nodes = {n.id: n for n in definition.nodes}
        configs: dict[str, NodeConfig] = {}
        for spec in definition.nodes:
            node = registry.get(spec.type)
            if node is None:
                raise ValueError(f"unknown node type {spec.type!r} ({spec.id})")
            try:
                configs[spec.id] = node.Config.model_validate(spec.data)
            except ValidationError as e:
                raise ValueError(f"node {spec.id}: {e.errors()[0]['msg']}") from e
        outgoing: dict[str, list[EdgeSpec]] = {n: [] for n in nodes}
        incoming: dict[str, int] = dict.fromkeys(nodes, 0)
        for edge in definition.edges:
            if edge.source not in nodes or edge.target not in nodes:
                raise ValueError(f"edge {edge.id} is dangling")
            outgoing[edge.source].append(edge)
            incoming[edge.target] += 1
        starts = [n.id for n in definition.nodes if n.type == "start"]
        if len(starts) != 1:
            raise ValueError("a workflow needs exactly one start node")
        return cls(definition, nodes, configs, outgoing, incoming, starts[0])


def new_state(variables: Mapping[str, Any], start: str) -> dict[str, Any]:
    """The state of a run that has not moved yet: one token on the start node."""
    return {
        "tokens": [{"id": "t1", "node": start, "path": [], "attempt": 1}],
        "vars": dict(variables),
        "nodes": {},
        "joins": {},
        "seq": 0,
        "next_token": 2,
    }


def _json_size(value: Any) -> int:
    return len(orjson.dumps(value, default=str))


def _trace(value: Any) -> Any:
    """``value`` for a step record, cut down when it is big."""
    if value is None or _json_size(value) <= TRACE_BYTES:
        return value
    return {
        "truncated": True,
        "preview": orjson.dumps(value, default=str)[:TRACE_BYTES].decode(errors="ignore"),
    }


class Interpreter:
    """Advances one run. Holds no database handle: effects are injected, state is plain JSON."""

    def __init__(
        self,
        graph: Graph,
        registry: Mapping[str, Node],
        state: dict[str, Any],
        effects: Effects,
        *,
        instance: Mapping[str, Any],
        tenant_id: str,
        now: datetime,
        level: int = 0,
        call_out: bool = True,
    ) -> None:
        self.graph = graph
        self.call_out = call_out
        """``False``: stop before any call out (the driver then runs the rest as a job)."""
        self.registry = registry
        self.state = state
        self.effects = effects
        self.instance = dict(instance)
        self.tenant_id = tenant_id
        self.now = now
        self.level = level
        self.seg = Segment()
        self._called_out = False
        self._t0 = time.perf_counter()

    def at(self) -> datetime:
        """The current time (the segment's start plus the time spent since)."""
        return self.now + timedelta(seconds=time.perf_counter() - self._t0)

    # -- scope -----------------------------------------------------------------------------

    def scope(self) -> dict[str, Any]:
        """The variables an expression sees."""
        return {
            "input": self.instance.get("input") or {},
            "trigger": self.instance.get("trigger") or {},
            "entity": {
                "type": self.instance.get("entity_type"),
                "id": self.instance.get("entity_id"),
            },
            "vars": self.state["vars"],
            "nodes": self.state["nodes"],
            "instance": {
                "id": self.instance["id"],
                "workflow_id": self.instance.get("workflow_id"),
                "version": self.instance.get("version"),
            },
        }

    def _step(self, token: dict[str, Any], spec: NodeSpec, seq: int | None = None) -> Step:
        if seq is None:
            self.state["seq"] += 1
            seq = self.state["seq"]
        return Step(
            node_id=spec.id,
            config=self.graph.configs[spec.id],
            scope=self.scope(),
            effects=self.effects,
            key=f"{self.instance['id']}:{seq}",
            tenant_id=self.tenant_id,
            instance_id=self.instance["id"],
            now=self.at(),
            attempt=int(token.get("attempt", 1)),
            level=self.level,
        )

    # -- the loop --------------------------------------------------------------------------

    async def advance(self, wake: tuple[str, Wake] | None = None) -> Segment:
        """Run until every token waits or ends (or a call out must be committed first)."""
        try:
            if wake is not None:
                await self._wake(*wake)
            await self._run_ready()
        except RunFailed as e:
            self._fail(e)
        return self.seg

    def ready(self) -> list[dict[str, Any]]:
        """Tokens that can run now."""
        return [t for t in self.state["tokens"] if not t.get("wait")]

    async def _run_ready(self) -> None:
        queue = deque(self.ready())
        max_steps = self.graph.definition.settings.max_steps
        while queue:
            token = queue.popleft()
            if token not in self.state["tokens"]:
                continue  # dropped by a join while it waited in line
            spec = self.graph.nodes[token["node"]]
            node = self.registry[spec.type]
            calls_out = node.effect is Effect.EXTERNAL
            if calls_out and (not self.call_out or self._called_out or self.seg.wrote):
                self.seg.more = True  # commit what we have before the next call out
                return
            if self.state["seq"] >= max_steps:
                raise RunFailed(
                    spec.id, {"class": "configuration", "message": f"over {max_steps} steps"}
                )
            for moved in await self._execute(token, spec, node):
                queue.append(moved)
        if not self.state["tokens"] and self.seg.finished is None:
            self.seg.finished = "completed"
            self.seg.output = self.state.get("output")

    async def _execute(
        self, token: dict[str, Any], spec: NodeSpec, node: Node
    ) -> list[dict[str, Any]]:
        """Run one node for ``token``; return the tokens ready to run next."""
        if spec.type == "join":
            return self._arrive(token, spec)
        step = self._step(token, spec)
        started = step.now
        if node.effect is Effect.EXTERNAL:
            self._called_out = True
        limit = step.config.timeout_seconds or DEFAULT_TIMEOUT
        try:
            if node.effect in (Effect.DB, Effect.EXTERNAL):
                outcome = await asyncio.wait_for(node.run(step), limit)
            else:  # never awaits anything, so a timeout could not stop it: no task for it
                outcome = await node.run(step)
        except TimeoutError:
            error = NodeError(f"timed out after {limit:g} s", "transient")
            return self._failed(token, spec, step, error, started)
        except NodeError as e:
            return self._failed(token, spec, step, e, started)
        finally:
            if node.effect is Effect.DB:
                self.seg.wrote = True
        if isinstance(outcome, Wait):
            return self._park(token, spec, step, outcome, started)
        self._record(step, token, spec, "completed", started, self.at(), outcome)
        return self._route(token, spec, outcome)

    # -- results and routing ---------------------------------------------------------------

    def _record(
        self,
        step: Step,
        token: dict[str, Any],
        spec: NodeSpec,
        status: str,
        started: datetime,
        finished: datetime | None,
        result: Result | None = None,
        error: dict[str, Any] | None = None,
        *,
        seq: int | None = None,
        resumed: bool = False,
    ) -> None:
        resumed = resumed or seq is not None  # it finishes a row written when the token parked
        self.seg.steps.append(
            StepRecord(
                seq=seq or self.state["seq"],
                node_id=spec.id,
                node_type=spec.type,
                token=token["id"],
                status=status,
                started_at=started,
                finished_at=finished,
                input=_trace(spec.data) if not resumed else None,
                output=_trace(result.output) if result else None,
                handle=result.handle if result else None,
                error=error,
                explanation=result.explanation if result else None,
                attempts=int(token.get("attempt", 1)),
                resumed=resumed,
            )
        )

    def _route(self, token: dict[str, Any], spec: NodeSpec, result: Result) -> list[dict[str, Any]]:
        """Store the node's output and move ``token`` along the edges of ``result.handle``."""
        if result.output is not None:
            if _json_size(result.output) > MAX_OUTPUT_BYTES:
                raise RunFailed(
                    spec.id,
                    {"class": "configuration", "message": "node output over 64 KB"},
                )
            self.state["nodes"][spec.id] = result.output
        if result.variables:
            self.state["vars"].update(result.variables)
        token["attempt"] = 1
        if spec.type == "end":
            self.state["output"] = result.output
            self._drop(token)
            return []
        edges = [
            e
            for e in self.graph.outgoing[spec.id]
            if result.handle == "*" or e.handle == result.handle
        ]
        if not edges:
            self._drop(token)
            return []
        if len(edges) == 1:
            token["node"] = edges[0].target
            return [token]
        return self._fork(token, spec, edges)

    def _fork(
        self, token: dict[str, Any], spec: NodeSpec, edges: list[EdgeSpec]
    ) -> list[dict[str, Any]]:
        """One new token per edge, each on its own branch of this fork."""
        self._drop(token)
        branches = []
        for i, edge in enumerate(edges):
            branch = self._new_token(edge.target, [*token["path"], f"{spec.id}.{i}"])
            branches.append(branch)
        return branches

    def _new_token(self, node_id: str, path: list[str]) -> dict[str, Any]:
        token = {"id": f"t{self.state['next_token']}", "node": node_id, "path": path, "attempt": 1}
        self.state["next_token"] += 1
        self.state["tokens"].append(token)
        return token

    def _drop(self, token: dict[str, Any]) -> None:
        if token in self.state["tokens"]:
            self.state["tokens"].remove(token)

    # -- join ------------------------------------------------------------------------------

    def _arrive(self, token: dict[str, Any], spec: NodeSpec) -> list[dict[str, Any]]:
        """A branch reaches a join: fire it when its policy is met, else the branch ends here."""
        config = self.graph.configs[spec.id]
        parent = token["path"][:-1]
        key = f"{spec.id}|{'/'.join(parent)}"
        join = self.state["joins"].setdefault(key, {"arrived": [], "fired": False})
        self._drop(token)
        if join["fired"]:
            return []  # a late branch of a join that already went on
        join["arrived"].append(token["path"][-1] if token["path"] else token["id"])
        expected = self.graph.incoming[spec.id]
        needed = {"all": expected, "any": 1}.get(
            getattr(config, "policy", "all"), min(expected, getattr(config, "count", expected))
        )
        if len(join["arrived"]) < needed:
            timeout = getattr(config, "wait_timeout_seconds", None)
            if timeout and len(join["arrived"]) == 1:
                timer = self._new_token(spec.id, parent)
                timer["join"] = key
                self._park_token(
                    timer, spec, Wait("timer", until=self.now + timedelta(seconds=timeout))
                )
            return []
        return self._fire(spec, key, parent, "default")

    def _fire(
        self, spec: NodeSpec, key: str, parent: list[str], handle: str
    ) -> list[dict[str, Any]]:
        join = self.state["joins"][key]
        join["fired"] = True
        self.state["seq"] += 1
        result = Result(output={"arrived": list(join["arrived"])}, handle=handle)
        prefix = "/".join(parent)
        for other in list(self.state["tokens"]):  # branches still running are not needed now
            other_prefix = "/".join(other["path"][: len(parent)])
            inside = len(other["path"]) > len(parent) and other_prefix == prefix
            if inside or other.get("join") == key:  # its timeout timer too
                self._cancel(other)
        token = self._new_token(spec.id, parent)
        self.seg.steps.append(
            StepRecord(
                seq=self.state["seq"],
                node_id=spec.id,
                node_type=spec.type,
                token=token["id"],
                status="completed",
                started_at=self.now,
                finished_at=self.now,
                output=result.output,
                handle=handle,
                explanation=f"{len(join['arrived'])} branch(es) arrived ({handle})",
            )
        )
        return self._route(token, spec, result)

    def _cancel(self, token: dict[str, Any]) -> None:
        if token.get("wait"):
            self.seg.cancelled.append(token["id"])
        self._drop(token)

    # -- waits -----------------------------------------------------------------------------

    def _park(
        self, token: dict[str, Any], spec: NodeSpec, step: Step, wait: Wait, started: datetime
    ) -> list[dict[str, Any]]:
        self._record(step, token, spec, "waiting", started, None)
        token["seq"] = self.state["seq"]
        token["started"] = started.isoformat()
        self._park_token(token, spec, wait)
        return []

    def _park_token(self, token: dict[str, Any], spec: NodeSpec, wait: Wait) -> None:
        token["wait"] = {
            "kind": wait.kind,
            "until": wait.until.isoformat() if wait.until else None,
            "key": wait.key,
            "data": wait.data,
        }
        self.seg.parked.append(Parked(token["id"], spec.id, wait))

    async def _wake(self, token_id: str, wake: Wake) -> None:
        """Resume a parked token (ignored if it no longer waits: a duplicate or late wake)."""
        token = next((t for t in self.state["tokens"] if t["id"] == token_id), None)
        if token is None or not token.get("wait"):
            return
        waited = token.pop("wait")
        self.seg.resumed.append(token_id)
        spec = self.graph.nodes[token["node"]]
        if waited["kind"] == "retry":
            return  # the token is ready again: the loop retries the node
        if "join" in token:  # a join's timeout
            self._drop(token)
            join = self.state["joins"].get(token["join"])
            if join and not join["fired"]:
                self._fire(spec, token["join"], token["path"], "timeout")
            return
        node = self.registry[spec.type]
        step = self._step(token, spec, seq=token["seq"])  # it keeps the seq it parked with
        started = datetime.fromisoformat(token.pop("started", self.now.isoformat()))
        seq = token.pop("seq")
        try:
            result = await node.resume(step, wake)
        except NodeError as e:
            self._failed(token, spec, step, e, started, seq=seq)
            return
        self._record(
            step, token, spec, "completed", started, self.at(), result, seq=seq, resumed=True
        )
        self._route(token, spec, result)

    # -- errors ----------------------------------------------------------------------------

    def _failed(
        self,
        token: dict[str, Any],
        spec: NodeSpec,
        step: Step,
        error: NodeError,
        started: datetime,
        *,
        seq: int | None = None,
    ) -> list[dict[str, Any]]:
        """Retry, take the error edge, go on regardless, or fail the run — per the node's policy."""
        config = self.graph.configs[spec.id]
        detail = {"class": error.error_class, "message": error.detail, **error.data}
        attempt = int(token.get("attempt", 1))
        policy = config.retry
        if attempt < policy.max_attempts and error.error_class in policy.retry_on:
            delay = backoff_seconds(attempt, policy.backoff_seconds, policy.max_interval_seconds)
            if error.retry_after is not None:
                delay = max(delay, min(error.retry_after, policy.max_interval_seconds))
            self._record(step, token, spec, "retrying", started, self.at(), error=detail, seq=seq)
            token["attempt"] = attempt + 1
            token["wait"] = {
                "kind": "retry",
                "until": (self.now + timedelta(seconds=delay)).isoformat(),
                "key": None,
            }
            self.seg.parked.append(
                Parked(token["id"], spec.id, Wait("timer", self.now + timedelta(seconds=delay)))
            )
            return []
        self._record(step, token, spec, "failed", started, self.at(), error=detail, seq=seq)
        self.state["failed"] = {"node": spec.id, "path": token["path"]}
        if any(e.handle == "error" for e in self.graph.outgoing[spec.id]):
            return self._route(token, spec, Result(output={"error": detail}, handle="error"))
        if config.continue_on_error:
            return self._route(token, spec, Result(output={"error": detail}))
        raise RunFailed(spec.id, {**detail, "node_id": spec.id})

    def _fail(self, failure: RunFailed) -> None:
        for token in list(self.state["tokens"]):
            self._cancel(token)
        self.seg.finished = "failed"
        self.seg.error = failure.error
        self.seg.more = False

    # -- operations ------------------------------------------------------------------------

    def skip(self, node_id: str, reason: str, by: str | None) -> bool:
        """Go past ``node_id`` as if it succeeded with no output.

        Applies to a branch waiting or retrying there, or to the step the run failed at;
        ``False`` when no branch is at that node.
        """
        if node_id not in self.graph.nodes:
            return False
        token = next((t for t in self.state["tokens"] if t["node"] == node_id), None)
        if token is None:
            token = self._revive(node_id)
            if token is None:
                return False
        if token.pop("wait", None):
            self.seg.resumed.append(token["id"])
        seq = token.pop("seq", None)
        if seq is None:
            self.state["seq"] += 1
        spec = self.graph.nodes[node_id]
        self.seg.steps.append(
            StepRecord(
                seq=seq or self.state["seq"],
                node_id=node_id,
                node_type=spec.type,
                token=token["id"],
                status="skipped",
                started_at=self.now,
                finished_at=self.now,
                explanation=f"skipped: {reason}",
                resumed=seq is not None,
                skip_reason=reason,
                skipped_by=by,
            )
        )
        self._route(token, spec, Result())
        return True

    def retry_from(self, node_id: str) -> bool:
        """Run again from ``node_id`` with the variables as they are."""
        if node_id not in self.graph.nodes:
            return False
        failed = self.state.pop("failed", None) or {}
        self._new_token(node_id, list(failed.get("path", [])))
        return True

    def _revive(self, node_id: str) -> dict[str, Any] | None:
        failed = self.state.get("failed")
        if not failed or failed["node"] != node_id:
            return None
        del self.state["failed"]
        return self._new_token(node_id, list(failed["path"]))

    def check_size(self) -> None:
        """Fail the run when its state grew past the limit (called by drivers before saving)."""
        if _json_size(self.state) > MAX_STATE_BYTES:
            self._fail(
                RunFailed(None, {"class": "configuration", "message": "run state over 2 MB"})
            )
