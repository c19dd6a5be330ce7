"""Speed of workflow expressions, templates, rule groups and the pure nodes (no I/O).

Each figure is the median of several timed loops, in µs per call, single-threaded. The
baselines run in the same process: simpleeval used naively (a new evaluator that parses the
expression on every call) and plain compiled Python (``eval`` of a code object, unsafe: the
floor no safe evaluator can beat). ``python bench/wf_expressions.py [--loops N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from simpleeval import SimpleEval  # noqa: E402

from common import table  # noqa: E402
from frontdesk.workflows import expressions, rules  # noqa: E402
from frontdesk.workflows.nodes.base import Step  # noqa: E402
from frontdesk.workflows.nodes.condition import ConditionConfig, ConditionNode  # noqa: E402
from frontdesk.workflows.nodes.set_vars import SetConfig, SetNode  # noqa: E402

EXPRESSION = 'trigger.amount > 100 and vars.tier == "gold"'
SCOPE: dict[str, Any] = {
    "input": {},
    "trigger": {
        "amount": 150,
        "score": 85,
        "source": "Web",
        "customer": {"name": "Ann", "email": "ann@example.com"},
        "items": [{"sku": f"S{i}", "qty": i} for i in range(20)],
    },
    "entity": {"type": "contact", "id": "c1"},
    "vars": {"tier": "gold"},
    "nodes": {},
    "instance": {"id": "i1", "workflow_id": "w1", "version": 1},
}
SEED_GROUP = {
    "logical": "AND",
    "conditions": [
        {"field": "score", "operator": "greaterThan", "value": 80, "valueType": "number"},
        {
            "logical": "OR",
            "conditions": [
                {"field": "source", "operator": "equals", "value": "Website"},
                {"field": "source", "operator": "equals", "value": "Web"},
            ],
        },
    ],
}
ASSIGNMENTS = {
    "assignments": [
        {"name": "tier", "mode": "static", "value": "gold"},
        {"name": "email", "mode": "variable", "value": "trigger.customer.email"},
        {"name": "total", "mode": "expression", "value": "trigger.amount * 1.2"},
        {"name": "greeting", "mode": "template", "value": "Hi {{ trigger.customer.name }}!"},
    ]
}


class NoEffects:
    simulated = True


def per_call(function: Callable[[], Any], loops: int, repeats: int = 5) -> float:
    """Median µs per call of ``function`` over ``repeats`` loops."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(loops):
            function()
        timings.append((time.perf_counter() - started) / loops * 1e6)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=20_000)
    loops = parser.parse_args().loops

    code = compile(EXPRESSION, "<bench>", "eval")
    wrapped = _Attr.wrap(SCOPE)
    group = rules.RuleGroup.model_validate(SEED_GROUP)
    condition, set_node = ConditionNode(), SetNode()
    now = datetime.now(UTC)
    condition_step = _step(ConditionConfig.model_validate({"rules": SEED_GROUP}), now)
    set_step = _step(SetConfig.model_validate(ASSIGNMENTS), now)
    template = "Dear {{ trigger.customer.name }}, {{ trigger.amount }} is {{ vars.tier }}"
    calls = 'len(join(split(trigger.customer.email, "@"), "-")) + len(trigger.items)'
    bomb = rules.RuleGroup.model_validate(
        {"conditions": [{"field": "trigger.text", "operator": "matches", "value": "(a+)+$"}]}
    )
    bomb_scope = {"trigger": {"text": "a" * 100_000 + "!"}}

    ours = per_call(lambda: expressions.evaluate(EXPRESSION, SCOPE), loops)
    baseline = per_call(lambda: SimpleEval(names=SCOPE).eval(EXPRESSION), loops // 4)
    floor = per_call(lambda: eval(code, {"__builtins__": {}}, wrapped), loops)  # noqa: S307
    cases: list[tuple[str, Callable[[], Any], int]] = [
        (
            "evaluate: trigger.customer.name (a path)",
            lambda: expressions.evaluate("trigger.customer.name", SCOPE),
            loops,
        ),
        ("evaluate: " + calls, lambda: expressions.evaluate(calls, SCOPE), loops),
        ("render: template with 3 expressions", lambda: expressions.render(template, SCOPE), loops),
        (
            "rules.evaluate: seed group (3 rules, nested OR)",
            lambda: rules.evaluate(group, SCOPE),
            loops,
        ),
        ("condition node run (seed group)", lambda: _drive(condition.run(condition_step)), loops),
        ("set node run (4 assignments, every mode)", lambda: _drive(set_node.run(set_step)), loops),
        ("matches (a+)+$ on 100,001 chars (RE2)", lambda: rules.evaluate(bomb, bomb_scope), 20),
    ]
    rows = [
        ("evaluate: " + EXPRESSION, f"{ours:.2f}"),
        ("  baseline: simpleeval, new evaluator + parse per call", f"{baseline:.2f}"),
        ("  floor: compiled Python eval (unsafe)", f"{floor:.2f}"),
    ]
    rows += [(label, f"{per_call(function, count):.2f}") for label, function, count in cases]
    print(table("Workflow expressions and rules (µs per call, median of 5)", ["what", "µs"], rows))
    print(
        f"\nevaluate vs naive simpleeval: {baseline / ours:.1f}x faster; "
        f"vs compiled Python: {ours / floor:.1f}x slower"
    )


class _Attr(dict[str, Any]):
    """A dict whose keys read as attributes, so plain ``eval`` runs the same expression."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)

    @classmethod
    def wrap(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return cls({key: cls.wrap(item) for key, item in value.items()})
        return value


def _drive(coroutine: Any) -> Any:
    """Run a coroutine that never awaits (pure nodes) without an event loop's overhead."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the node awaited something")


def _step(config: Any, now: datetime) -> Step:
    return Step(
        node_id="n",
        config=config,
        scope=SCOPE,
        effects=NoEffects(),  # type: ignore[arg-type]
        key="k",
        tenant_id="t",
        instance_id="i",
        now=now,
    )


if __name__ == "__main__":
    main()
