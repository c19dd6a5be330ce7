import { describe, expect, it } from "vitest";
import { emptyRule, problemsOf, toJson, toModel, update, type RuleGroupNode } from "./model";

const OPS = ["equals", "not_equals", "contains", "in", "between", "is_empty", "greater"];
const UNARY = ["is_empty"];

const NESTED = {
  id: "top",
  logical: "AND",
  conditions: [
    { field: "trigger.text", operator: "contains", value: "refund", ignoreCase: true },
    {
      logical: "NOT",
      conditions: [
        { field: "trigger.channel", operator: "equals", value: "sms" },
        { logical: "OR", conditions: [{ field: "vars.n", operator: "between", value: [1, 5], value_type: "number" }] },
      ],
    },
    { conditions: [{ field: "input.tags", operator: "in", value: ["a", "b"] }], logical: "or" },
  ],
};

describe("rule model", () => {
  it("round-trips nested groups exactly (JSON → model → JSON)", () => {
    const out = toJson(toModel(structuredClone(NESTED)));
    expect(out).toEqual(NESTED);
    expect(JSON.stringify(out)).toBe(JSON.stringify(NESTED));
  });

  it("keeps key order and unknown-but-allowed keys when a rule changes", () => {
    const model = toModel(structuredClone(NESTED));
    const first = model.children[0];
    const changed = update(model, first.key, (n) => ({ ...n, data: { ...n.data, value: "money back" } }));
    const json = toJson(changed) as typeof NESTED;
    expect(Object.keys(json.conditions[0])).toEqual(["field", "operator", "value", "ignoreCase"]);
    expect(json.conditions[0]).toMatchObject({ value: "money back" });
    expect(json.conditions[1]).toEqual(NESTED.conditions[1]);
  });

  it("adds and removes rules in nested groups", () => {
    const model = toModel(structuredClone(NESTED));
    const not = model.children[1] as RuleGroupNode;
    const added = update(model, not.key, (n) => (n.kind === "group" ? { ...n, children: [...n.children, emptyRule("vars.x")] } : n));
    expect((toJson(added) as typeof NESTED).conditions[1].conditions).toHaveLength(3);
    const removed = update(added, not.children[0].key, () => null);
    expect((toJson(removed) as typeof NESTED).conditions[1].conditions).toHaveLength(2);
  });

  it("accepts valid JSON and explains invalid JSON", () => {
    expect(problemsOf(NESTED, OPS, UNARY)).toEqual([]);
    expect(problemsOf([], OPS, UNARY)[0]).toMatch(/top level must be a group/);
    const bad = {
      logical: "XOR",
      conditions: [
        { field: "", operator: "equals", value: 1 },
        { field: "a", operator: "teleports", value: 1 },
        { field: "a", operator: "equals" },
        { field: "a", operator: "between", value: 3 },
        { field: "a", operator: "is_empty", extra: 1 },
        "nope",
      ],
    };
    const problems = problemsOf(bad, OPS, UNARY);
    expect(problems).toEqual([
      "the top group: logical must be AND, OR or NOT",
      "conditions[0]: field is required",
      'conditions[1]: unknown operator "teleports"',
      "conditions[2]: equals needs a value",
      "conditions[3]: between needs two values [low, high]",
      'conditions[4]: unknown key "extra"',
      "conditions[5]: must be a rule or a group",
    ]);
  });

  it("refuses groups nested deeper than the engine allows", () => {
    let group: Record<string, unknown> = { logical: "AND", conditions: [] };
    for (let i = 0; i < 11; i += 1) group = { logical: "AND", conditions: [group] };
    expect(problemsOf(group, OPS, UNARY).join()).toMatch(/nested deeper than 10/);
  });
});
