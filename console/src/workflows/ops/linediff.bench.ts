// `npx vitest bench src/workflows/ops`: the Raw JSON diff of two 200-node definitions.
import { bench, describe } from "vitest";
import { lineDiff, sideBySide, stableJson } from "./linediff";

function definition(nodes: number, changeEvery: number): unknown {
  return {
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: `n${i}`,
      type: "set",
      position: { x: 0, y: i * 100 },
      data: { assignments: [{ name: `v${i}`, mode: "static", value: changeEvery && i % changeEvery === 0 ? `new${i}` : i }] },
    })),
    edges: Array.from({ length: nodes - 1 }, (_, i) => ({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}` })),
    triggers: [{ type: "manual" }],
  };
}

const lines = (value: unknown) => stableJson(value).split("\n");
const base = lines(definition(200, 0));
const some = lines(definition(200, 10));
const all = lines(definition(200, 1));

describe("raw JSON diff, 200 nodes (4,406 lines a side)", () => {
  bench("20 nodes changed", () => {
    sideBySide(lineDiff(base, some));
  });
  bench("every node changed", () => {
    sideBySide(lineDiff(base, all));
  });
});
