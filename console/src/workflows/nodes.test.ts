import { describe, expect, it } from "vitest";
import {
  autoLayout,
  connectionProblem,
  copySelection,
  normalize,
  paste,
  problemsByNode,
  toSaved,
  type Catalog,
} from "./nodes";

const node = (type: string, handles: string[]) => ({
  type,
  label: type,
  group: "logic",
  effect: "pure",
  handles,
  description: "",
  schema: {},
});

const CATALOG = {
  groups: [],
  nodes: [
    node("start", ["default", "error"]),
    node("end", []),
    node("condition", ["true", "false", "error"]),
    node("send_message", ["default", "error"]),
  ],
  triggers: [],
  events: [],
  operators: {},
  all_operators: [],
  unary_operators: [],
  scope: [],
} as Catalog;

const DEF = normalize({
  nodes: [
    { id: "s", type: "start", position: { x: 0, y: 0 }, data: {} },
    { id: "c", type: "condition", position: { x: 100, y: 0 }, data: { rules: { logical: "AND", conditions: [] } } },
    { id: "m", type: "send_message", position: { x: 200, y: 0 }, data: { text: "hi" } },
    { id: "e", type: "end", position: { x: 300, y: 0 }, data: {} },
  ],
  edges: [
    { id: "e1", source: "s", target: "c" },
    { id: "e2", source: "c", target: "m", sourceHandle: "true" },
    { id: "e3", source: "m", target: "e" },
  ],
});

describe("connection rules", () => {
  const check = (source: string, target: string, sourceHandle?: string) =>
    connectionProblem(DEF, CATALOG, { source, target, sourceHandle });

  it("allows a free handle to another node", () => {
    expect(check("c", "e", "false")).toBeNull();
    expect(check("m", "e", "error")).toBeNull();
  });

  it("refuses with a reason", () => {
    expect(check("c", "s", "false")).toMatch(/into the start node/);
    expect(check("e", "m")).toMatch(/ends its branch/);
    expect(check("c", "c", "false")).toMatch(/itself/);
    expect(check("c", "e", "true")).toMatch(/"true" output is already connected/);
    expect(check("s", "e")).toMatch(/already connected/);
    expect(check("m", "e", "approved")).toMatch(/no "approved" output \(it offers default, error\)/);
  });
});

describe("copy and paste", () => {
  it("pastes the selection with new ids and only its inner edges, remapped", () => {
    const clip = copySelection(DEF, new Set(["c", "m"]));
    expect(clip.edges.map((e) => e.id)).toEqual(["e2"]);
    const next = paste(DEF, clip);
    const added = next.nodes.slice(DEF.nodes.length);
    expect(added.map((n) => n.id)).toEqual(["condition_1", "send_message_1"]);
    expect(added.every((n) => n.selected)).toBe(true);
    expect(added[0].position).toEqual({ x: 140, y: 40 });
    expect(added[0].data).toEqual(DEF.nodes[1].data);
    expect(added[0].data).not.toBe(DEF.nodes[1].data);
    const edge = next.edges[next.edges.length - 1];
    expect(edge).toMatchObject({ source: "condition_1", target: "send_message_1", sourceHandle: "true" });
    expect(new Set(next.edges.map((e) => e.id)).size).toBe(next.edges.length);
    const again = paste(next, clip);
    expect(again.nodes.slice(next.nodes.length).map((n) => n.id)).toEqual(["condition_2", "send_message_2"]);
  });

  it("never pastes a second start node", () => {
    const next = paste(DEF, copySelection(DEF, new Set(["s", "c"])));
    expect(next.nodes.filter((n) => n.type === "start")).toHaveLength(1);
    expect(next.edges).toHaveLength(DEF.edges.length);
  });
});

describe("saved shape, layout and problems", () => {
  it("drops React Flow state and unnames the default handle", () => {
    const edited = { ...DEF, nodes: DEF.nodes.map((n) => ({ ...n, selected: true, measured: { width: 1 } })) };
    const saved = toSaved(edited) as { nodes: object[]; edges: object[] };
    expect(saved.nodes[0]).toEqual({ id: "s", type: "start", position: { x: 0, y: 0 }, data: {} });
    expect(saved.edges[0]).toEqual({ id: "e1", source: "s", target: "c" });
    expect(saved.edges[1]).toEqual({ id: "e2", source: "c", target: "m", sourceHandle: "true" });
  });

  it("lays the graph out left to right", () => {
    const laid = autoLayout(DEF);
    const x = Object.fromEntries(laid.nodes.map((n) => [n.id, n.position.x]));
    expect(x.s).toBeLessThan(x.c);
    expect(x.c).toBeLessThan(x.m);
    expect(x.m).toBeLessThan(x.e);
  });

  it("puts an edge's problem on its source node", () => {
    const byNode = problemsByNode(DEF.edges, [
      { code: "unknown_handle", message: "bad", edge_id: "e2" },
      { code: "dead_end", message: "x", node_id: "m" },
    ]);
    expect(byNode.get("c")?.[0].code).toBe("unknown_handle");
    expect(byNode.get("m")?.[0].code).toBe("dead_end");
  });
});
