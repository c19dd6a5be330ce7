"""Validation of a workflow graph that lists every problem at once, not just the first.

The checks: the definition's own schema; duplicate node and edge ids; unknown node types; each
node's ``data`` against its type's ``Config`` and the type's own ``check``; dangling edges and
edges leaving by a handle their source does not have; exactly one start node; unreachable nodes;
nodes with no way out (a warning); loops with no waiting node; and the triggers (event name, cron
expression, timezone, ``when`` rules). A part that fails its schema is left out of the later
checks, so one mistake is reported once rather than again as a dangling edge.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, ValidationError

from frontdesk.workflows.definition import (
    MAX_EDGES,
    MAX_NODES,
    Definition,
    EdgeSpec,
    NodeSpec,
    TriggerSpec,
)
from frontdesk.workflows.nodes.base import Effect, Node

Severity = Literal["error", "warning"]
TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")
ERROR_HANDLE = "error"
"""Any node may leave by an ``error`` edge, whatever its type's handles."""


class Problem(BaseModel):
    """One thing wrong with a definition, located as precisely as possible."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    severity: Severity = "error"
    node_id: str | None = None
    edge_id: str | None = None
    field: str | None = None
    """Dotted path of the offending field (within the node's ``data`` for config problems)."""


def is_valid(problems: Iterable[Problem]) -> bool:
    """True when no problem is an error (warnings allowed)."""
    return all(problem.severity != "error" for problem in problems)


def _path(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _config_problems(errors: Iterable[Any], node_id: str, node_type: str) -> list[Problem]:
    problems = []
    for error in errors:
        path = _path(error["loc"])
        if error["type"] == "missing":
            code, message = "missing_field", f"{node_type} node is missing required field {path!r}"
        else:
            code, message = "invalid_config", f"{node_type} node: {path}: {error['msg']}"
        problems.append(Problem(code=code, message=message, node_id=node_id, field=path))
    return problems


@dataclass
class _Parts:
    """The parts of a definition that passed their schema, and the ids of those that did not."""

    nodes: list[NodeSpec] = field(default_factory=list)
    edges: list[EdgeSpec] = field(default_factory=list)
    triggers: list[tuple[int, TriggerSpec]] = field(default_factory=list)
    """Each with its index in the definition (problems name ``triggers.<index>``)."""
    broken_nodes: set[str] = field(default_factory=set)


def _item_id(raw: Mapping[str, Any], collection: str, index: Any) -> str | None:
    items = raw.get(collection)
    if isinstance(items, list) and isinstance(index, int) and 0 <= index < len(items):
        item = items[index]
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            return str(item["id"])
    return None


def _schema_problems(raw: Mapping[str, Any], exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        path = _path(loc)
        index = loc[1] if len(loc) > 1 else None
        node_id = _item_id(raw, "nodes", index) if loc[:1] == ("nodes",) else None
        edge_id = _item_id(raw, "edges", index) if loc[:1] == ("edges",) else None
        missing = error["type"] == "missing"
        problems.append(
            Problem(
                code="missing_field" if missing else "schema",
                message=f"Missing required field {path!r}"
                if missing
                else f"{path}: {error['msg']}",
                node_id=node_id,
                edge_id=edge_id,
                field=path,
            )
        )
    return problems


def _salvage(raw: Mapping[str, Any]) -> _Parts:
    """The nodes, edges and triggers that are valid on their own."""
    parts = _Parts()

    def items(name: str, limit: int) -> list[Any]:
        value = raw.get(name)
        return value[:limit] if isinstance(value, list) else []

    for item in items("nodes", MAX_NODES):
        try:
            parts.nodes.append(NodeSpec.model_validate(item))
        except ValidationError:
            if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                parts.broken_nodes.add(item["id"])
    for item in items("edges", MAX_EDGES):
        try:
            parts.edges.append(EdgeSpec.model_validate(item))
        except ValidationError:
            continue
    for index, item in enumerate(items("triggers", 20)):
        try:
            parts.triggers.append((index, TriggerSpec.model_validate(item)))
        except ValidationError:
            continue
    return parts


class _Check:
    """One validation run: the parts, the registry, and the problems found so far."""

    def __init__(self, parts: _Parts, registry: Mapping[str, Node]) -> None:
        self.parts = parts
        self.registry = registry
        self.problems: list[Problem] = []
        self.by_id: dict[str, NodeSpec] = {}
        for spec in parts.nodes:
            self.by_id.setdefault(spec.id, spec)
        self.out: dict[str, list[tuple[str, str]]] = {node_id: [] for node_id in self.by_id}
        """Node id → its outgoing (handle, target) pairs, over edges whose ends both exist."""

    def add(self, code: str, message: str, **where: Any) -> None:
        self.problems.append(Problem(code=code, message=message, **where))

    def node_type(self, node_id: str) -> Node | None:
        return self.registry.get(self.by_id[node_id].type)

    def nodes(self) -> None:
        counts = Counter(spec.id for spec in self.parts.nodes)
        for node_id, count in counts.items():
            if count > 1:
                self.add(
                    "duplicate_node_id", f"{count} nodes have the id {node_id!r}", node_id=node_id
                )
        for spec in self.by_id.values():
            self.node(spec)

    def node(self, spec: NodeSpec) -> None:
        node = self.registry.get(spec.type)
        if node is None:
            message = f"Unknown node type {spec.type!r}"
            self.add("unknown_node_type", message, node_id=spec.id, field="type")
            return
        model: type[BaseModel] = node.Config
        try:
            config = model.model_validate(spec.data)
        except ValidationError as exc:
            self.problems += _config_problems(exc.errors(), spec.id, spec.type)
            return
        for message in node.check(config):
            self.add("node_check", f"{spec.type} node: {message}", node_id=spec.id)

    def edges(self) -> None:
        counts = Counter(edge.id for edge in self.parts.edges)
        for edge_id, count in counts.items():
            if count > 1:
                self.add(
                    "duplicate_edge_id", f"{count} edges have the id {edge_id!r}", edge_id=edge_id
                )
        seen: set[tuple[str, str, str]] = set()
        for edge in self.parts.edges:
            if self.edge(edge):
                key = (edge.source, edge.handle, edge.target)
                if key in seen:
                    message = f"Another edge already joins {edge.source!r} to {edge.target!r}"
                    self.add("duplicate_edge", message, severity="warning", edge_id=edge.id)
                seen.add(key)
                self.out[edge.source].append((edge.handle, edge.target))

    def edge(self, edge: EdgeSpec) -> bool:
        """Check one edge; True when both its ends exist."""
        ok = True
        for end in ("source", "target"):
            node_id = getattr(edge, end)
            if node_id not in self.by_id:
                ok = False
                if node_id not in self.parts.broken_nodes:
                    message = f"Edge {edge.id!r} has no {end} node {node_id!r}"
                    self.add("dangling_edge", message, edge_id=edge.id, field=end)
        if edge.source in self.by_id:
            node = self.node_type(edge.source)
            if node is not None and edge.handle not in (*node.handles, ERROR_HANDLE):
                allowed = ", ".join((*node.handles, ERROR_HANDLE))
                message = (
                    f"Edge {edge.id!r} leaves {edge.source!r} by handle {edge.handle!r};"
                    f" a {node.type} node has: {allowed}"
                )
                self.add("unknown_handle", message, edge_id=edge.id, field="sourceHandle")
        return ok

    def start(self) -> list[str]:
        starts = [spec.id for spec in self.by_id.values() if spec.type == "start"]
        if not starts:
            self.add("missing_start", "The workflow has no start node")
        elif len(starts) > 1:
            for node_id in starts:
                message = f"The workflow has {len(starts)} start nodes; it needs exactly one"
                self.add("multiple_starts", message, node_id=node_id)
        return starts

    def reachable(self, starts: list[str]) -> None:
        if not starts:
            return  # without a start every node would be reported
        seen, todo = set(starts), list(starts)
        while todo:
            for _, target in self.out[todo.pop()]:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        for node_id in self.by_id:
            if node_id not in seen:
                message = f"Node {node_id!r} cannot be reached from the start node"
                self.add("unreachable_node", message, node_id=node_id)

    def dead_ends(self) -> None:
        for node_id, spec in self.by_id.items():
            if spec.type == "end":
                continue
            if not any(handle != ERROR_HANDLE for handle, _ in self.out[node_id]):
                message = f"Node {node_id!r} has no way out: its branch stops there (no end node)"
                self.add("dead_end", message, severity="warning", node_id=node_id)

    def may_wait(self, node_id: str) -> bool:
        """True for a waiting node, and for an unknown type (already reported)."""
        node = self.node_type(node_id)
        return node is None or node.effect is Effect.WAIT

    def loops(self) -> None:
        order = {node_id: n for n, node_id in enumerate(self.by_id)}
        for component in _cycles(self.by_id, self.out):
            if any(self.may_wait(node_id) for node_id in component):
                continue
            members = sorted(component, key=order.__getitem__)
            path = " → ".join(members)
            message = (
                f"Loop {path} has no waiting node (delay, wait, approval):"
                " it would run without pause"
            )
            self.add("unbounded_loop", message, node_id=members[0])

    def triggers(self) -> None:
        for n, trigger in self.parts.triggers:
            where = f"triggers.{n}"
            if trigger.type == "event":
                if not trigger.event:
                    self.add(
                        "missing_event",
                        "An event trigger needs its event type",
                        field=f"{where}.event",
                    )
                if trigger.when is not None:
                    for message in _rule_problems(trigger.when):
                        self.add(
                            "invalid_rule", f"Trigger condition: {message}", field=f"{where}.when"
                        )
            if trigger.type == "cron":
                self.cron(trigger, where)

    def cron(self, trigger: TriggerSpec, where: str) -> None:
        if not trigger.cron:
            self.add("missing_cron", "A cron trigger needs its schedule", field=f"{where}.cron")
        elif not croniter.is_valid(trigger.cron):
            message = f"{trigger.cron!r} is not a valid cron expression"
            self.add("invalid_cron", message, field=f"{where}.cron")
        if not _known_timezone(trigger.timezone):
            message = f"Unknown timezone {trigger.timezone!r}"
            self.add("unknown_timezone", message, field=f"{where}.timezone")


def _known_timezone(name: str) -> bool:
    """An IANA zone name that ``zoneinfo`` knows (not ``localtime``: that is the host's)."""
    if len(name) > 64 or not TIMEZONE.fullmatch(name) or name == "localtime":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _rule_problems(when: dict[str, Any]) -> list[str]:
    """Problems of a trigger's rule group, when the rules module is installed."""
    try:
        rules = importlib.import_module("frontdesk.workflows.rules")
    except ImportError:
        return []
    try:
        group = rules.RuleGroup.model_validate(when)
    except ValidationError as exc:
        return [f"{_path(e['loc']) or 'when'}: {e['msg']}" for e in exc.errors()]
    return [str(message) for message in rules.check(group)]


def _cycles(nodes: Iterable[str], out: Mapping[str, list[tuple[str, str]]]) -> list[list[str]]:
    """The graph's loops: strongly connected components with an edge inside (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node_id, i = work.pop()
            if i == 0:
                index[node_id] = low[node_id] = len(index)
                stack.append(node_id)
                on_stack.add(node_id)
            targets = out[node_id]
            if i < len(targets):
                work.append((node_id, i + 1))
                target = targets[i][1]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node_id] = min(low[node_id], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node_id])
            if low[node_id] == index[node_id]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node_id:
                        break
                looped = len(component) > 1 or any(t == node_id for _, t in targets)
                if looped:
                    found.append(component)
    return found


def validate(raw: Mapping[str, Any], nodes: Mapping[str, Node]) -> list[Problem]:
    """Every problem of the definition ``raw``, given the node registry ``nodes`` (type → node)."""
    if not isinstance(raw, Mapping):
        return [Problem(code="schema", message="A workflow definition is a JSON object")]
    problems: list[Problem] = []
    try:
        definition = Definition.model_validate(raw)
        triggers = list(enumerate(definition.triggers))
        parts = _Parts(list(definition.nodes), list(definition.edges), triggers)
    except ValidationError as exc:
        problems = _schema_problems(raw, exc)
        parts = _salvage(raw)
    check = _Check(parts, nodes)
    check.nodes()
    check.edges()
    check.reachable(check.start())
    check.dead_ends()
    check.loops()
    check.triggers()
    return problems + check.problems
