// Types and calls of the workflow operations pages (versions, diff, simulator, runs, audit).
import { ApiError, get, problemMessage, type Schemas } from "../../api/client";

export type Workflow = Schemas["WorkflowPublic"];
export type Version = Schemas["WorkflowVersionPublic"];
export type Run = Schemas["InstancePublic"];
export type RunDetail = Schemas["InstanceDetail"];
export type Step = Schemas["StepPublic"];
export type Timeline = Schemas["Timeline"];
export type TimelineEntry = Schemas["TimelineEntry"];
export type AuditPage = Schemas["AuditPage"];
export type AuditEntry = Schemas["AuditEntryPublic"];
export type Verification = Schemas["Verification"];
export type Definition = Record<string, unknown>;

export interface ParamChange {
  path: string;
  kind: "added" | "removed" | "changed" | "reordered";
  old?: unknown;
  new?: unknown;
}

export interface NodeRef {
  id: string;
  type?: string | null;
  label?: string | null;
}

export interface NodeChange {
  id: string;
  type?: string | null;
  type_change?: { old?: unknown; new?: unknown } | null;
  position_change?: { old?: unknown; new?: unknown } | null;
  params: ParamChange[];
  cosmetic: boolean;
}

export interface EdgeRef {
  id: string;
  source?: string | null;
  target?: string | null;
  handle: string;
}

export interface EdgeChange {
  id: string;
  old_id?: string | null;
  changes: ParamChange[];
}

export interface TriggerChange {
  index: number;
  type?: string | null;
  changes: ParamChange[];
}

export interface Diff {
  nodes_added: NodeRef[];
  nodes_removed: NodeRef[];
  nodes_changed: NodeChange[];
  edges_added: EdgeRef[];
  edges_removed: EdgeRef[];
  edges_changed: EdgeChange[];
  triggers_added: Record<string, unknown>[];
  triggers_removed: Record<string, unknown>[];
  triggers_changed: TriggerChange[];
  variables: ParamChange[];
  settings: ParamChange[];
  summary: Record<string, number | boolean>;
}

export interface TraceStep {
  seq: number;
  node_id: string;
  node_type: string;
  token: string;
  status: string;
  input: unknown;
  output: unknown;
  handle: string | null;
  error: Record<string, unknown> | null;
  explanation: string | null;
  attempts: number;
  at: string;
}

export interface Trace {
  status: string;
  output: unknown;
  error: Record<string, unknown> | null;
  steps: TraceStep[];
  effects: { node_id: string; effect: string; request?: unknown; result?: unknown }[];
  waits: { node_id: string; kind: string; answer: string }[];
  elapsed_virtual_seconds: number;
  path: string[];
}

export interface SimulateBody {
  definition?: unknown;
  entity_type?: string;
  input?: Record<string, unknown>;
  trigger?: Record<string, unknown>;
  responses?: Record<string, unknown>;
  events?: Record<string, unknown>;
  approvals?: Record<string, unknown>;
}

export interface Problem {
  message?: string;
  node_id?: string | null;
  code?: string;
  severity?: string;
}

/** An API error that also carries the definition's problems (a 422 from the simulator). */
export class ProblemsError extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly problems: Problem[],
  ) {
    super(status, code, message);
  }
}

export const workflowKey = (id: string) => ["workflow", id] as const;
export const getWorkflow = (id: string) => get<Workflow>(`/workflows/${id}`);
export const getVersions = (id: string) => get<Version[]>(`/workflows/${id}/versions`);

function csrf(): string | undefined {
  const match = document.cookie.match(/(?:^|;\s*)fd_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/** POST …/simulate; a refused definition comes back as a ProblemsError listing its problems. */
export async function simulate(workflowId: string, body: SimulateBody): Promise<Trace> {
  const headers: Record<string, string> = { Accept: "application/json", "Content-Type": "application/json" };
  const token = csrf();
  if (token) headers["X-CSRF-Token"] = token;
  let response: Response;
  try {
    response = await fetch(`/api/v1/workflows/${workflowId}/simulate`, {
      method: "POST",
      headers,
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection.");
  }
  const data = (await response.json().catch(() => ({}))) as Trace & {
    code?: string;
    detail?: string;
    problems?: Problem[];
  };
  if (!response.ok) {
    const message = problemMessage(data, response.status);
    throw new ProblemsError(response.status, data.code ?? "error", message, data.problems ?? []);
  }
  return data;
}

/** A value as indented JSON text (for <pre>, never as HTML). */
export function pretty(value: unknown): string {
  if (value === undefined) return "—";
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** A short one-line JSON of a value, cut at ``max`` characters. */
export function short(value: unknown, max = 120): string {
  const text = value === undefined ? "—" : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "3 Nov 2026, 10:04:05" in the browser's locale. */
export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/** Parse a JSON object from a text box: the value, or a readable error. Blank text gives {}. */
export function parseObject(text: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== "object" || Array.isArray(value)) return { error: "It must be a JSON object ({…})." };
    return { value: value as Record<string, unknown> };
  } catch (e) {
    return { error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** A datetime-local input's value as an ISO instant (the browser's zone), or undefined. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
