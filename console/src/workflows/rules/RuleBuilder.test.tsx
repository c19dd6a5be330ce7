import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { RuleBuilder, type FieldOption } from "./RuleBuilder";

afterEach(cleanup);

const OPERATORS = {
  string: ["equals", "not_equals", "contains", "is_empty"],
  number: ["equals", "greater", "between", "is_empty"],
  boolean: ["equals", "is_empty"],
  date: ["equals", "greater"],
};
const ALL = ["equals", "not_equals", "contains", "greater", "between", "is_empty"];
const FIELDS: FieldOption[] = [
  { path: "trigger.text", type: "string", source: "message.received" },
  { path: "input.score", type: "number", source: "lead sample" },
];

function Harness({ initial, seen }: { initial: Record<string, unknown>; seen: Record<string, unknown>[] }) {
  const [value, setValue] = useState(initial);
  return (
    <RuleBuilder
      value={value}
      onChange={(json) => {
        seen.push(json);
        setValue(json);
      }}
      fields={FIELDS}
      operators={OPERATORS}
      allOperators={ALL}
      unary={["is_empty"]}
    />
  );
}

describe("RuleBuilder", () => {
  it("edits rules and offers operators by the field's type", () => {
    const seen: Record<string, unknown>[] = [];
    render(<Harness initial={{ logical: "AND", conditions: [] }} seen={seen} />);
    fireEvent.click(screen.getByRole("button", { name: "+ Rule" }));
    fireEvent.change(screen.getByLabelText("Field"), { target: { value: "input.score" } });
    const operator = screen.getByLabelText("Operator") as HTMLSelectElement;
    expect([...operator.options].map((o) => o.value)).toEqual(OPERATORS.number);
    fireEvent.change(operator, { target: { value: "greater" } });
    fireEvent.change(screen.getByLabelText("Value"), { target: { value: "80" } });
    expect(seen[seen.length - 1]).toEqual({
      logical: "AND",
      conditions: [{ field: "input.score", operator: "greater", value: 80 }],
    });
  });

  it("refuses JSON that does not validate and keeps the rules", () => {
    const seen: Record<string, unknown>[] = [];
    const initial = { logical: "OR", conditions: [{ field: "trigger.text", operator: "contains", value: "refund" }] };
    render(<Harness initial={initial} seen={seen} />);
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    const text = screen.getByLabelText("Rules JSON") as HTMLTextAreaElement;
    expect(JSON.parse(text.value)).toEqual(initial);
    fireEvent.change(text, { target: { value: '{"logical": "AND", "conditions": [{"field": "a", "operator": "nope"}]}' } });
    fireEvent.click(screen.getByRole("button", { name: "Apply JSON" }));
    expect(screen.getByRole("alert").textContent).toContain('unknown operator "nope"');
    fireEvent.change(text, { target: { value: "{" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply JSON" }));
    expect(screen.getByRole("alert").textContent).toContain("Not valid JSON");
    expect(seen).toEqual([]);
    fireEvent.change(text, { target: { value: '{"logical": "NOT", "conditions": [{"field": "a", "operator": "is_empty"}]}' } });
    fireEvent.click(screen.getByRole("button", { name: "Apply JSON" }));
    expect(seen).toEqual([{ logical: "NOT", conditions: [{ field: "a", operator: "is_empty" }] }]);
    expect(screen.getByLabelText("Group logic")).toHaveProperty("value", "NOT");
  });
});
