"""Workflow validation and diff of a 200-node graph; audit-log append and verify on SQLite.

1. **validate**: ``frontdesk.workflows.validate.validate`` on a 200-node, ~300-edge graph
   (start, 197 nodes of four typed kinds: HTTP action, condition, set, wait; a fork of condition
   branches; loops back through wait nodes; end), with a registry of node types defined here
   whose configs look like the real ones (nested retry policies, headers, assignments) and whose
   ``check`` scans templates. Baseline, same run: ``Definition.model_validate`` of the same JSON
   (the schema parse alone, which validation includes). The p99 is the process's generation-2
   garbage collections (about 150,000 objects from the imports), which any allocation may
   trigger; the row "after gc.freeze()" moves those objects out of the collector's way. The row
   "shipped node types" validates the same shape built from the real registry (``http``, ``set``
   with expressions, ``condition`` with rule groups, ``delay``), so each ``check`` parses real
   expressions, templates and rules; its baseline is that graph's ``Definition.model_validate``.
2. **diff**: ``frontdesk.workflows.diff.diff`` between that graph and a copy with 20 nodes'
   parameters changed, 10 nodes moved, 5 nodes added and 5 edges renamed. Baseline: canonical
   JSON of both definitions (what any structural comparison has to read at least).
3. **audit append**: one write transaction per ``audit.append`` on a fresh SQLite database
   (``synchronous=FULL``, as shipped), against the floor of one write transaction that inserts
   one row into a bare table. Then **verify** of the whole chain (entries/s).

Run: ``.venv/bin/python bench/workflow_audit.py [--runs N] [--entries N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field
from sqlalchemy import text

from common import percentile, table
from frontdesk.core.logging import configure_logging
from frontdesk.core.migrate import migrate
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.tenants.service import create_tenant
from frontdesk.workflows import audit
from frontdesk.workflows.definition import Definition
from frontdesk.workflows.diff import diff
from frontdesk.workflows.models import Workflow
from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig
from frontdesk.workflows.nodes.registry import NODES
from frontdesk.workflows.validate import validate

TEMPLATE = re.compile(r"{{(.*?)}}")


def _templates(value: Any) -> list[str]:
    problems = []
    for part in TEMPLATE.findall(json.dumps(value)):
        if not part.strip() or "__" in part:
            problems.append(f"bad template {part!r}")
    return problems


class HttpConfig(NodeConfig):
    url: str
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None


class Assignment(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z_]\w{0,63}$")
    mode: str = "static"
    value: Any = None


class SetConfig(NodeConfig):
    assignments: list[Assignment] = Field(default_factory=list, max_length=100)


class IfConfig(NodeConfig):
    expression: str


class WaitConfig(NodeConfig):
    seconds: float = Field(default=60, gt=0)


class Start(Node):
    type = "start"
    effect: ClassVar[Effect] = Effect.CONTROL


class End(Node):
    type = "end"
    effect: ClassVar[Effect] = Effect.CONTROL
    handles: ClassVar[tuple[str, ...]] = ()


class Http(Node):
    type = "http"
    Config = HttpConfig
    effect: ClassVar[Effect] = Effect.EXTERNAL

    def check(self, config: Any) -> list[str]:
        return _templates([config.url, config.headers, config.body])


class SetVars(Node):
    type = "set"
    Config = SetConfig

    def check(self, config: Any) -> list[str]:
        return _templates([a.value for a in config.assignments])


class Condition(Node):
    type = "condition"
    Config = IfConfig
    handles: ClassVar[tuple[str, ...]] = ("true", "false")


class Wait(Node):
    type = "wait"
    Config = WaitConfig
    effect: ClassVar[Effect] = Effect.WAIT
    handles: ClassVar[tuple[str, ...]] = ("default", "timeout")


REGISTRY: dict[str, Node] = {
    n.type: n for n in (Start(), End(), Http(), SetVars(), Condition(), Wait())
}


def node_data(kind: str, n: int) -> dict[str, Any]:
    if kind == "http":
        return {
            "url": f"https://crm.example/api/{{{{ vars.id_{n} }}}}",
            "method": "POST",
            "headers": {"Accept": "application/json", "X-Run": "{{ instance.id }}"},
            "body": {"contact": "{{ entity.id }}", "step": n},
            "retry": {"max_attempts": 3, "backoff_seconds": 2, "retry_on": ["transient"]},
            "timeout_seconds": 10,
        }
    if kind == "set":
        return {
            "assignments": [
                {"name": f"v{n}_{i}", "mode": "template", "value": f"{{{{ nodes.n{n - 1} }}}}"}
                for i in range(5)
            ]
        }
    if kind == "condition":
        return {"expression": f"vars.v{n} > {n}", "label": f"Check {n}"}
    return {"seconds": 30 + n}


def real_data(kind: str, n: int) -> dict[str, Any]:
    """Configs of the shipped node types, with templates, expressions and rule groups."""
    if kind == "http":
        return {
            "url": f"https://crm.example/api/{{{{ vars.id_{n} }}}}",
            "method": "POST",
            "headers": {"Accept": "application/json", "X-Run": "{{ instance.id }}"},
            "body": {"contact": "{{ entity.id }}", "step": n},
            "retry": {"max_attempts": 3, "backoff_seconds": 2, "retry_on": ["transient"]},
        }
    if kind == "set":
        return {
            "assignments": [
                {"name": f"v{n}_{i}", "mode": "expression", "value": f"trigger.amount * {i} + 1"}
                for i in range(5)
            ]
        }
    if kind == "condition":
        rules = [
            {"field": "trigger.amount", "operator": "greater", "value": n},
            {"field": "trigger.source", "operator": "in", "value": ["Web", "Referral"]},
        ]
        return {"rules": {"logical": "AND", "conditions": rules}}
    return {"seconds": 30 + n}


def graph(
    size: int = 200,
    kinds: tuple[str, ...] = ("http", "set", "condition", "wait"),
    data: Callable[[str, int], dict[str, Any]] = node_data,
    back: str = "timeout",
) -> dict[str, Any]:
    """A start, ``size - 2`` typed nodes in a chain with side branches and loops, and an end.

    ``kinds[3]`` is a waiting type; it loops back three nodes by its ``back`` handle.
    """
    nodes = [{"id": "start", "type": "start", "position": {"x": 0, "y": 0}}]
    edges = []
    previous, way = "start", None
    for n in range(1, size - 1):
        kind = kinds[n % 4]
        node_id = f"n{n}"
        nodes.append(
            {
                "id": node_id,
                "type": kind,
                "position": {"x": n * 40, "y": 0},
                "data": data(kind, n),
            }
        )
        edges.append({"id": f"e{n}", "source": previous, "target": node_id, "sourceHandle": way})
        way = "true" if kind == "condition" else None
        if kind == "condition":
            edges.append(
                {"id": f"f{n}", "source": node_id, "target": "end", "sourceHandle": "false"}
            )
        if kind == kinds[3] and n > 4:
            edges.append(
                {"id": f"b{n}", "source": node_id, "target": f"n{n - 3}", "sourceHandle": back}
            )
        if kind == "http":
            edges.append(
                {"id": f"x{n}", "source": node_id, "target": "end", "sourceHandle": "error"}
            )
        previous = node_id
    nodes.append({"id": "end", "type": "end", "position": {"x": size * 40, "y": 0}})
    edges.append({"id": "e-end", "source": previous, "target": "end", "sourceHandle": way})
    return {
        "nodes": nodes,
        "edges": edges,
        "triggers": [
            {"type": "event", "event": "message.received"},
            {"type": "cron", "cron": "*/5 * * * *", "timezone": "Europe/Zurich"},
        ],
        "variables": {"threshold": 100},
    }


def edited(raw: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(raw)
    for spec in new["nodes"][1:21]:
        spec.setdefault("data", {})["label"] = f"renamed {spec['id']}"
    for spec in new["nodes"][30:40]:
        spec["position"] = {"x": spec["position"]["x"], "y": 120}
    for i in range(5):
        new["nodes"].append({"id": f"extra{i}", "type": "wait", "data": {"seconds": 5}})
    for edge in new["edges"][50:55]:
        edge["id"] = f"xy-edge__{edge['id']}"
    return new


def timed(runs: int, call: Callable[[], object]) -> tuple[list[float], float]:
    call()  # warm-up
    samples = []
    cpu = time.process_time()
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples, (time.process_time() - cpu) / runs


def ms_row(name: str, samples: list[float], cpu: float, base: float | None) -> list[object]:
    p50 = percentile(samples, 50)
    ratio = f"{p50 / base:.1f}x" if base else "1x"
    return [
        name,
        len(samples),
        f"{p50 * 1e3:.2f}",
        f"{percentile(samples, 99) * 1e3:.2f}",
        f"{cpu * 1e3:.2f}",
        ratio,
    ]


def pure(runs: int) -> None:
    raw = graph()
    assert validate(raw, REGISTRY) == [], validate(raw, REGISTRY)[:3]
    new = edited(raw)
    header = ["what", "runs", "p50 ms", "p99 ms", "cpu ms/run", "p50 vs baseline"]

    def canonical() -> object:
        return (json.dumps(raw, sort_keys=True), json.dumps(new, sort_keys=True))

    schema, schema_cpu = timed(runs, lambda: Definition.model_validate(raw))
    checks, checks_cpu = timed(runs, lambda: validate(raw, REGISTRY))
    dumps, dumps_cpu = timed(runs, canonical)
    diffs, diffs_cpu = timed(runs, lambda: diff(raw, new))
    real = graph(kinds=("http", "set", "condition", "delay"), data=real_data, back="error")
    assert validate(real, NODES) == [], validate(real, NODES)[:3]
    gc.freeze()  # the imports' objects out of the collector's way, as a server does after start
    frozen, frozen_cpu = timed(runs, lambda: validate(raw, REGISTRY))
    shipped, shipped_cpu = timed(runs, lambda: validate(real, NODES))
    real_schema, _ = timed(runs, lambda: Definition.model_validate(real))
    gc.unfreeze()
    result = diff(raw, new).summary
    edges = len(raw["edges"])
    print(
        table(
            f"validate and diff, {len(raw['nodes'])} nodes / {edges} edges",
            header,
            [
                ms_row("Definition.model_validate (baseline)", schema, schema_cpu, None),
                ms_row("validate (every check)", checks, checks_cpu, percentile(schema, 50)),
                ms_row("validate, after gc.freeze()", frozen, frozen_cpu, percentile(schema, 50)),
                ms_row(
                    "validate, shipped node types, after gc.freeze()",
                    shipped,
                    shipped_cpu,
                    percentile(real_schema, 50),
                ),
                ms_row("canonical JSON of both (baseline)", dumps, dumps_cpu, None),
                ms_row("diff", diffs, diffs_cpu, percentile(dumps, 50)),
            ],
        )
    )
    print(f"diff summary: {result.model_dump()}\n")


async def appends(entries: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), env="test", log_level="WARNING")
        await migrate(settings)
        runtime = Runtime.create(settings)
        db = runtime.db
        async with db.system_session() as session:
            tenant = await create_tenant(session, f"bench-{time.monotonic_ns()}")
        async with db.tenant_tx(tenant.id) as session:
            workflow = Workflow(tenant_id=tenant.id, name="bench")
            session.add(workflow)
        async with db.system_tx() as session:
            await session.execute(text("CREATE TABLE bench_floor (id INTEGER, at TEXT)"))

        async def floor() -> None:
            async with db.tenant_tx(tenant.id) as session:
                await session.execute(text("INSERT INTO bench_floor VALUES (1, 'x')"))

        async def append(n: int) -> None:
            async with db.tenant_tx(tenant.id) as session:
                await audit.append(
                    session,
                    tenant.id,
                    workflow.id,
                    "modified",
                    "definition",
                    "apikey:bench",
                    {"n": n, "summary": {"nodes_changed": 3}},
                )

        floors, samples = [], []
        for n in range(entries):
            start = time.perf_counter()
            await floor()
            floors.append(time.perf_counter() - start)
            start = time.perf_counter()
            await append(n)
            samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        async with db.tenant_session(tenant.id) as session:
            check = await audit.verify(session, tenant.id, workflow.id)
        took = time.perf_counter() - start
        await db.dispose()
    assert check.ok and check.entries == entries, check
    base = percentile(floors, 50)
    print(
        table(
            "audit log on SQLite (synchronous=FULL), one write transaction each",
            ["what", "n", "p50 ms", "p99 ms", "p50 vs floor"],
            [
                [
                    "floor: insert one row",
                    entries,
                    f"{base * 1e3:.2f}",
                    f"{percentile(floors, 99) * 1e3:.2f}",
                    "1x",
                ],
                [
                    "audit.append",
                    entries,
                    f"{percentile(samples, 50) * 1e3:.2f}",
                    f"{percentile(samples, 99) * 1e3:.2f}",
                    f"{percentile(samples, 50) / base:.1f}x",
                ],
            ],
        )
    )
    print(f"verify: {entries} entries in {took * 1e3:.0f} ms ({entries / took:,.0f} entries/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed runs of validate and diff")
    parser.add_argument("--entries", type=int, default=2000, help="audit entries to append")
    args = parser.parse_args()
    configure_logging("WARNING", False)
    pure(args.runs)
    asyncio.run(appends(args.entries))


if __name__ == "__main__":
    main()
