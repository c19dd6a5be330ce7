// The workflow definition as the editor holds it, and the pure graph logic around it:
// connection rules, copy / paste with new ids, auto-layout, and the shape saved to the API.
// Every engine fact (node types, handles, schemas, events) comes from the catalog
// (GET /workflow-node-types); nothing here knows a node type by name except "start" and "end".
import dagre from "@dagrejs/dagre";
import type { Schemas } from "../api/client";

export type Catalog = Schemas["Catalog"];
export type NodeType = Schemas["NodeType"];
export type EventType = Schemas["EventType"];
export type Workflow = Schemas["WorkflowPublic"];

export interface WfNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: Record<string, unknown>;
  // React Flow's own fields while editing (never saved).
  selected?: boolean;
  measured?: { width?: number; height?: number };
  dragging?: boolean;
  [key: string]: unknown;
}

export interface WfEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
  label?: string | null;
  selected?: boolean;
  [key: string]: unknown;
}

export interface Trigger {
  type: "event" | "webhook" | "cron" | "manual";
  event?: string | null;
  when?: Record<string, unknown> | null;
  cron?: string | null;
  timezone?: string;
}

export interface Definition {
  nodes: WfNode[];
  edges: WfEdge[];
  triggers: Trigger[];
  variables: Record<string, unknown>;
  settings: { max_steps?: number };
  [key: string]: unknown;
}

export interface Problem {
  code: string;
  message: string;
  severity?: string;
  node_id?: string | null;
  edge_id?: string | null;
  field?: string | null;
}

export const DEFAULT_HANDLE = "default";
export const ERROR_HANDLE = "error";

/** A definition with every part present (a new workflow's draft may be `{}`). */
export function normalize(raw: Record<string, unknown> | null | undefined): Definition {
  const value = (raw ?? {}) as Partial<Definition>;
  return {
    ...value,
    nodes: (value.nodes ?? []).map((n) => ({ ...n, position: n.position ?? { x: 0, y: 0 }, data: n.data ?? {} })),
    edges: (value.edges ?? []).map((e) => ({ ...e, sourceHandle: e.sourceHandle ?? DEFAULT_HANDLE })),
    triggers: value.triggers ?? [],
    variables: value.variables ?? {},
    settings: value.settings ?? {},
  };
}

const NODE_KEYS = ["id", "type", "position", "data"] as const;

/** The definition as the engine stores it: no React Flow state, `default` handles unnamed. */
export function toSaved(definition: Definition): Record<string, unknown> {
  const { nodes, edges, ...rest } = definition;
  return {
    ...rest,
    nodes: nodes.map((n) => Object.fromEntries(NODE_KEYS.map((key) => [key, n[key]]))),
    edges: edges.map((e) => {
      const edge: Record<string, unknown> = { id: e.id, source: e.source, target: e.target };
      if (e.sourceHandle && e.sourceHandle !== DEFAULT_HANDLE) edge.sourceHandle = e.sourceHandle;
      return edge;
    }),
  };
}

/** The handles a node of `type` offers (from the catalog). */
export function handlesOf(catalog: Catalog, type: string): string[] {
  return catalog.nodes.find((n) => n.type === type)?.handles ?? [DEFAULT_HANDLE, ERROR_HANDLE];
}

export interface Connection {
  source: string | null;
  target: string | null;
  sourceHandle?: string | null;
}

/** Why a connection is refused, or null when it is allowed. */
export function connectionProblem(definition: Definition, catalog: Catalog, connection: Connection): string | null {
  const { source, target } = connection;
  const handle = connection.sourceHandle || DEFAULT_HANDLE;
  if (!source || !target) return "Connect a node's output to another node.";
  if (source === target) return "A node cannot connect to itself.";
  const from = definition.nodes.find((n) => n.id === source);
  const to = definition.nodes.find((n) => n.id === target);
  if (!from || !to) return "Both ends must be nodes of this workflow.";
  if (to.type === "start") return "Nothing may lead into the start node: it is where a run begins.";
  const handles = handlesOf(catalog, from.type);
  if (handles.length === 0) return `An ${from.type} node ends its branch: nothing may leave it.`;
  if (!handles.includes(handle)) {
    return `A ${from.type} node has no "${handle}" output (it offers ${handles.join(", ")}).`;
  }
  if (definition.edges.some((e) => e.source === source && (e.sourceHandle || DEFAULT_HANDLE) === handle)) {
    const name = handle === DEFAULT_HANDLE ? "Its output" : `Its "${handle}" output`;
    return `${name} is already connected; delete that edge first.`;
  }
  return null;
}

/** A fresh id for a node of `type` (unique in `taken`). */
export function newId(type: string, taken: Set<string>): string {
  const base = type.replace(/[^A-Za-z0-9_]/g, "_");
  for (let n = 1; ; n += 1) {
    const id = `${base}_${n}`;
    if (!taken.has(id)) return id;
  }
}

/** The initial `data` of a new node: its required settings that have a sensible empty value. */
export function initialData(nodeType: NodeType | undefined): Record<string, unknown> {
  const data: Record<string, unknown> = { label: nodeType?.label ?? "" };
  const schema = nodeType?.schema as { required?: string[] } | undefined;
  for (const name of schema?.required ?? []) {
    if (name === "rules") data.rules = { logical: "AND", conditions: [] };
  }
  return data;
}

export interface Clip {
  nodes: WfNode[];
  edges: WfEdge[];
}

/** The selected nodes and the edges between them (edges to unselected nodes stay behind). */
export function copySelection(definition: Definition, ids: Set<string>): Clip {
  return {
    nodes: definition.nodes.filter((n) => ids.has(n.id)).map((n) => structuredClone(stripNode(n))),
    edges: definition.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ id: e.id, source: e.source, target: e.target, sourceHandle: e.sourceHandle })),
  };
}

function stripNode(node: WfNode): WfNode {
  return { id: node.id, type: node.type, position: node.position, data: node.data };
}

/** Paste `clip` with new node and edge ids, shifted by `offset`; the pasted nodes come selected. */
export function paste(definition: Definition, clip: Clip, offset = 40): Definition {
  const taken = new Set(definition.nodes.map((n) => n.id));
  const ids = new Map<string, string>();
  const nodes = clip.nodes
    .filter((n) => n.type !== "start" || !definition.nodes.some((m) => m.type === "start"))
    .map((n) => {
      const id = newId(n.type, taken);
      taken.add(id);
      ids.set(n.id, id);
      return {
        ...structuredClone(n),
        id,
        position: { x: n.position.x + offset, y: n.position.y + offset },
        selected: true,
      };
    });
  const edgeIds = new Set(definition.edges.map((e) => e.id));
  const edges: WfEdge[] = [];
  for (const e of clip.edges) {
    const source = ids.get(e.source);
    const target = ids.get(e.target);
    if (!source || !target) continue;
    const id = uniqueEdgeId(source, e.sourceHandle, target, edgeIds);
    edgeIds.add(id);
    edges.push({ id, source, target, sourceHandle: e.sourceHandle ?? DEFAULT_HANDLE });
  }
  return {
    ...definition,
    nodes: [...definition.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...nodes],
    edges: [...definition.edges, ...edges],
  };
}

/** An edge id from its ends (unique in `taken`). */
export function uniqueEdgeId(source: string, handle: string | null | undefined, target: string, taken: Set<string>): string {
  const base = `${source}-${handle || DEFAULT_HANDLE}-${target}`.slice(0, 120);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** Remove nodes (and their edges) and edges by id. */
export function remove(definition: Definition, nodeIds: Set<string>, edgeIds: Set<string>): Definition {
  return {
    ...definition,
    nodes: definition.nodes.filter((n) => !nodeIds.has(n.id)),
    edges: definition.edges.filter((e) => !edgeIds.has(e.id) && !nodeIds.has(e.source) && !nodeIds.has(e.target)),
  };
}

const NODE_WIDTH = 200;
const NODE_HEIGHT = 70;

/** Positions from left to right by dagre (ranks follow the edges). */
export function autoLayout(definition: Definition): Definition {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 80 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const n of definition.nodes) {
    graph.setNode(n.id, { width: n.measured?.width ?? NODE_WIDTH, height: n.measured?.height ?? NODE_HEIGHT });
  }
  for (const e of definition.edges) {
    if (graph.hasNode(e.source) && graph.hasNode(e.target)) graph.setEdge(e.source, e.target);
  }
  dagre.layout(graph);
  return {
    ...definition,
    nodes: definition.nodes.map((n) => {
      const placed = graph.node(n.id);
      const width = n.measured?.width ?? NODE_WIDTH;
      const height = n.measured?.height ?? NODE_HEIGHT;
      return { ...n, position: { x: Math.round(placed.x - width / 2), y: Math.round(placed.y - height / 2) } };
    }),
  };
}

/** Every problem by the node it names (problems of edges go to the edge's source). */
export function problemsByNode(edges: WfEdge[], problems: Problem[]): Map<string, Problem[]> {
  const byNode = new Map<string, Problem[]>();
  for (const p of problems) {
    const id = p.node_id ?? edges.find((e) => e.id === p.edge_id)?.source;
    if (!id) continue;
    byNode.set(id, [...(byNode.get(id) ?? []), p]);
  }
  return byNode;
}

/** A handle's label on the canvas (the default way out has none). */
export function handleLabel(handle: string | null | undefined): string {
  return !handle || handle === DEFAULT_HANDLE ? "" : handle;
}
