"""Structural diff between two workflow definitions: nodes, edges, parameters, triggers.

Nodes are matched by id: a matched node reports a type change and a position change (cosmetic)
apart from its parameter changes, which walk its ``data`` down to the leaves
(``data.retry.max_attempts``). Lists are compared by meaning rather than by index where
possible: items that carry an ``id`` / ``name`` / ``key`` are matched by it
(``data.assignments[total].value``), a mere permutation is one ``reordered`` change, and other
lists are aligned (difflib) so an insertion does not show as a change of every later item.
Edges are matched by id, then by their ends (source, handle, target): an edge whose id alone
changed is the same edge. Triggers carry no id: identical ones match first, then ones of the
same type (and event). React Flow's UI state (selection, sizes) is ignored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher
from typing import Any, Literal

from pydantic import BaseModel, Field

ChangeKind = Literal["added", "removed", "changed", "reordered"]
IDENTITY_KEYS = ("id", "name", "key")
MAX_DEPTH = 32
"""How deep parameter paths go; a deeper difference is one change of the value at that depth."""


class ParamChange(BaseModel):
    """One changed value, at a dotted path."""

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None


class ValueChange(BaseModel):
    """A single value that changed."""

    old: Any = None
    new: Any = None


class NodeRef(BaseModel):
    """An added or removed node."""

    id: str
    type: str | None = None
    label: str | None = None


class NodeChange(BaseModel):
    """A node present in both definitions whose type, position or parameters differ."""

    id: str
    type: str | None = None
    type_change: ValueChange | None = None
    position_change: ValueChange | None = None
    params: list[ParamChange] = Field(default_factory=list)
    cosmetic: bool = False
    """Only its position changed."""


class EdgeRef(BaseModel):
    """An added or removed edge."""

    id: str
    source: str | None = None
    target: str | None = None
    handle: str = "default"


class EdgeChange(BaseModel):
    """An edge present in both definitions (by id, or by its ends) that differs."""

    id: str
    old_id: str | None = None
    """Set when the edge was matched by its ends under another id."""
    changes: list[ParamChange] = Field(default_factory=list)


class TriggerChange(BaseModel):
    """A trigger of the same type (and event) whose settings differ."""

    index: int
    """Its position in the new definition's triggers."""
    type: str | None = None
    changes: list[ParamChange] = Field(default_factory=list)


class DiffSummary(BaseModel):
    """How much changed, by kind. ``nodes_changed`` leaves out nodes that only moved."""

    nodes_added: int = 0
    nodes_removed: int = 0
    nodes_changed: int = 0
    nodes_moved: int = 0
    edges_added: int = 0
    edges_removed: int = 0
    edges_changed: int = 0
    triggers_added: int = 0
    triggers_removed: int = 0
    triggers_changed: int = 0
    variables_changed: int = 0
    settings_changed: int = 0
    unchanged: bool = True
    """Nothing changed but positions."""


class Diff(BaseModel):
    """Everything that differs between an old and a new definition."""

    nodes_added: list[NodeRef] = Field(default_factory=list)
    nodes_removed: list[NodeRef] = Field(default_factory=list)
    nodes_changed: list[NodeChange] = Field(default_factory=list)
    edges_added: list[EdgeRef] = Field(default_factory=list)
    edges_removed: list[EdgeRef] = Field(default_factory=list)
    edges_changed: list[EdgeChange] = Field(default_factory=list)
    triggers_added: list[dict[str, Any]] = Field(default_factory=list)
    triggers_removed: list[dict[str, Any]] = Field(default_factory=list)
    triggers_changed: list[TriggerChange] = Field(default_factory=list)
    variables: list[ParamChange] = Field(default_factory=list)
    settings: list[ParamChange] = Field(default_factory=list)
    summary: DiffSummary = Field(default_factory=DiffSummary)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _same(old: Any, new: Any) -> bool:
    """Equal values of the same JSON kind (``1``, ``1.0`` and ``True`` differ)."""
    pending = [(old, new)]  # a loop, not recursion: nesting depth cannot overflow the stack
    while pending:
        a, b = pending.pop()
        if type(a) is not type(b):
            return False
        if isinstance(a, dict):
            if a.keys() != b.keys():
                return False
            pending.extend((a[k], b[k]) for k in a)
        elif isinstance(a, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif a != b:
            return False
    return True


def _walk(old: Any, new: Any, path: str, out: list[ParamChange], depth: int = 0) -> None:
    """Append to ``out`` every change from ``old`` to ``new`` below ``path``.

    Below :data:`MAX_DEPTH` levels a difference is reported whole, as one change.
    """
    if old == new and _same(old, new):
        return
    if depth >= MAX_DEPTH:
        out.append(ParamChange(path=path, kind="changed", old=old, new=new))
    elif isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(ParamChange(path=where, kind="removed", old=old[key]))
            elif key not in old:
                out.append(ParamChange(path=where, kind="added", new=new[key]))
            else:
                _walk(old[key], new[key], where, out, depth + 1)
    elif isinstance(old, list) and isinstance(new, list):
        _walk_list(old, new, path, out, depth)
    elif not _same(old, new):
        out.append(ParamChange(path=path, kind="changed", old=old, new=new))


def _identity(items: list[Any]) -> str | None:
    """The key that names every item of ``items`` uniquely, if there is one."""
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    for key in IDENTITY_KEYS:
        names = [item.get(key) for item in items]
        if all(isinstance(n, str | int) and not isinstance(n, bool) for n in names) and len(
            set(names)
        ) == len(names):
            return key
    return None


def _walk_list(
    old: list[Any], new: list[Any], path: str, out: list[ParamChange], depth: int
) -> None:
    if _same(old, new):
        return
    key = _identity(old) if _identity(old) == _identity(new) else None
    if key is not None:
        _walk_keyed(old, new, key, path, out, depth)
    elif sorted(map(_canonical, old)) == sorted(map(_canonical, new)):
        out.append(ParamChange(path=path, kind="reordered", old=old, new=new))
    else:
        _walk_aligned(old, new, path, out, depth)


def _walk_keyed(
    old: list[Any], new: list[Any], key: str, path: str, out: list[ParamChange], depth: int
) -> None:
    before = {item[key]: item for item in old}
    after = {item[key]: item for item in new}
    for name, item in before.items():
        if name not in after:
            out.append(ParamChange(path=f"{path}[{name}]", kind="removed", old=item))
    for name, item in after.items():
        if name not in before:
            out.append(ParamChange(path=f"{path}[{name}]", kind="added", new=item))
        else:
            _walk(before[name], item, f"{path}[{name}]", out, depth + 1)
    kept_before = [name for name in before if name in after]
    kept_after = [name for name in after if name in before]
    if kept_before != kept_after:
        out.append(ParamChange(path=path, kind="reordered", old=kept_before, new=kept_after))


def _walk_aligned(
    old: list[Any], new: list[Any], path: str, out: list[ParamChange], depth: int
) -> None:
    matcher = SequenceMatcher(None, list(map(_canonical, old)), list(map(_canonical, new)))
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                _walk(old[i], new[j], f"{path}.{j}", out, depth + 1)
            continue
        for i in range(i1, i2):
            out.append(ParamChange(path=f"{path}.{i}", kind="removed", old=old[i]))
        for j in range(j1, j2):
            out.append(ParamChange(path=f"{path}.{j}", kind="added", new=new[j]))


def _items(definition: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = definition.get(name)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _by_id(items: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {item["id"]: item for item in items if isinstance(item.get("id"), str)}


def _text(value: Any) -> str | None:
    """``value`` if it is a string (a draft may hold anything where a name belongs)."""
    return value if isinstance(value, str) else None


def _node_ref(node: Mapping[str, Any]) -> NodeRef:
    data = node.get("data")
    label = data.get("label") if isinstance(data, Mapping) else None
    return NodeRef(id=node["id"], type=_text(node.get("type")), label=_text(label))


def _coordinate(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return 0.0


def _position(node: Mapping[str, Any]) -> dict[str, Any]:
    position = node.get("position")
    if not isinstance(position, Mapping):
        return {"x": 0.0, "y": 0.0}
    return {"x": _coordinate(position.get("x")), "y": _coordinate(position.get("y"))}


def _node_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> NodeChange | None:
    params: list[ParamChange] = []
    _walk(old.get("data") or {}, new.get("data") or {}, "data", params)
    change = NodeChange(id=new["id"], type=_text(new.get("type")), params=params)
    if old.get("type") != new.get("type"):
        change.type_change = ValueChange(old=old.get("type"), new=new.get("type"))
    if _position(old) != _position(new):
        change.position_change = ValueChange(old=_position(old), new=_position(new))
    change.cosmetic = not params and change.type_change is None
    if change.cosmetic and change.position_change is None:
        return None
    return change


def _diff_nodes(old: Mapping[str, Any], new: Mapping[str, Any], diff: Diff) -> None:
    before, after = _by_id(_items(old, "nodes")), _by_id(_items(new, "nodes"))
    diff.nodes_removed = [_node_ref(n) for node_id, n in before.items() if node_id not in after]
    diff.nodes_added = [_node_ref(n) for node_id, n in after.items() if node_id not in before]
    for node_id, node in after.items():
        if node_id in before and (change := _node_change(before[node_id], node)):
            diff.nodes_changed.append(change)


def _edge_view(edge: Mapping[str, Any]) -> dict[str, Any]:
    """What matters of an edge: its ends, handle, label and data."""
    return {
        "source": edge.get("source"),
        "target": edge.get("target"),
        "handle": edge.get("sourceHandle") or "default",
        "label": edge.get("label"),
        "data": edge.get("data"),
    }


def _ends(edge: Mapping[str, Any]) -> tuple[str, str, str]:
    view = _edge_view(edge)
    return (str(view["source"]), str(view["handle"]), str(view["target"]))


def _edge_ref(edge: Mapping[str, Any]) -> EdgeRef:
    view = _edge_view(edge)
    return EdgeRef(
        id=edge["id"],
        source=_text(view["source"]),
        target=_text(view["target"]),
        handle=_text(view["handle"]) or "default",
    )


def _diff_edges(old: Mapping[str, Any], new: Mapping[str, Any], diff: Diff) -> None:
    before, after = _by_id(_items(old, "edges")), _by_id(_items(new, "edges"))
    pairs = [(before[edge_id], edge) for edge_id, edge in after.items() if edge_id in before]
    removed = [edge for edge_id, edge in before.items() if edge_id not in after]
    added = [edge for edge_id, edge in after.items() if edge_id not in before]
    by_ends: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for edge in removed:
        by_ends.setdefault(_ends(edge), []).append(edge)
    still_added = []
    for edge in added:
        candidates = by_ends.get(_ends(edge))
        if candidates:
            match = candidates.pop(0)
            removed.remove(match)
            pairs.append((match, edge))
        else:
            still_added.append(edge)
    diff.edges_removed = [_edge_ref(edge) for edge in removed]
    diff.edges_added = [_edge_ref(edge) for edge in still_added]
    for before_edge, after_edge in pairs:
        changes: list[ParamChange] = []
        _walk(_edge_view(before_edge), _edge_view(after_edge), "", changes)
        if changes:
            old_id = before_edge["id"] if before_edge["id"] != after_edge["id"] else None
            diff.edges_changed.append(
                EdgeChange(id=after_edge["id"], old_id=old_id, changes=changes)
            )


def _trigger_kind(trigger: Mapping[str, Any]) -> tuple[Any, Any]:
    return (trigger.get("type"), trigger.get("event") if trigger.get("type") == "event" else None)


def _diff_triggers(old: Mapping[str, Any], new: Mapping[str, Any], diff: Diff) -> None:
    removed = list(_items(old, "triggers"))
    unmatched: list[tuple[int, Mapping[str, Any]]] = []
    for index, trigger in enumerate(_items(new, "triggers")):
        twin = next((t for t in removed if _same(t, trigger)), None)
        if twin is not None:
            removed.remove(twin)
        else:
            unmatched.append((index, trigger))
    for index, trigger in unmatched:
        kin = next((t for t in removed if _trigger_kind(t) == _trigger_kind(trigger)), None)
        if kin is None:
            diff.triggers_added.append(dict(trigger))
            continue
        removed.remove(kin)
        changes: list[ParamChange] = []
        _walk(kin, trigger, "", changes)
        diff.triggers_changed.append(
            TriggerChange(index=index, type=_text(trigger.get("type")), changes=changes)
        )
    diff.triggers_removed = [dict(trigger) for trigger in removed]


def _section(definition: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = definition.get(name)
    return value if isinstance(value, Mapping) else {}


def _summarise(diff: Diff) -> DiffSummary:
    summary = DiffSummary(
        nodes_added=len(diff.nodes_added),
        nodes_removed=len(diff.nodes_removed),
        nodes_changed=sum(not change.cosmetic for change in diff.nodes_changed),
        nodes_moved=sum(change.cosmetic for change in diff.nodes_changed),
        edges_added=len(diff.edges_added),
        edges_removed=len(diff.edges_removed),
        edges_changed=len(diff.edges_changed),
        triggers_added=len(diff.triggers_added),
        triggers_removed=len(diff.triggers_removed),
        triggers_changed=len(diff.triggers_changed),
        variables_changed=len(diff.variables),
        settings_changed=len(diff.settings),
    )
    counts = summary.model_dump(exclude={"nodes_moved", "unchanged"})
    summary.unchanged = not any(counts.values())
    return summary


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Diff:
    """What changed from definition ``old`` to definition ``new`` (both as JSON dicts)."""
    result = Diff()
    _diff_nodes(old, new, result)
    _diff_edges(old, new, result)
    _diff_triggers(old, new, result)
    _walk(_section(old, "variables"), _section(new, "variables"), "variables", result.variables)
    _walk(_section(old, "settings"), _section(new, "settings"), "settings", result.settings)
    result.summary = _summarise(result)
    return result
