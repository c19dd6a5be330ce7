import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../../api/client";
import { MeContext } from "../../auth";
import { DiffView } from "../DiffView";
import { Gantt } from "../Gantt";
import { SimulatorPanel } from "../Simulator";
import type { Diff, Timeline, Trace, Version } from "./api";

const XSS = '<img src=x onerror="window.__xss=1">';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const ME: Me = {
  member: { id: "m1", email: "ana@acme.example", name: "Ana", available: true },
  tenant: { id: "t1", slug: "acme" },
  role: "viewer",
  permissions: ["workflows:read"],
  csrf_token: null,
};

function wrap(children: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={client}>
      <MeContext.Provider value={ME}>{children}</MeContext.Provider>
    </QueryClientProvider>
  );
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const DIFF: Diff = {
  nodes_added: [{ id: "note", type: "set", label: XSS }],
  nodes_removed: [{ id: "old", type: "delay", label: null }],
  nodes_changed: [
    {
      id: "check",
      type: "condition",
      params: [{ path: "data.rules.conditions.0.value", kind: "changed", old: 100, new: 50 }],
      cosmetic: false,
    },
  ],
  edges_added: [{ id: "e9", source: "small", target: "note", handle: "default" }],
  edges_removed: [],
  edges_changed: [],
  triggers_added: [],
  triggers_removed: [],
  triggers_changed: [],
  variables: [],
  settings: [],
  summary: { nodes_added: 1, nodes_removed: 1, nodes_changed: 1, edges_added: 1, edges_removed: 0, edges_changed: 0, unchanged: false },
};

const version = (id: string, number: number, value: number): Version => ({
  id,
  workflow_id: "w1",
  number,
  notes: "",
  parent_id: null,
  author_id: null,
  created_at: "2026-11-22T10:00:00Z",
  definition: { nodes: [{ id: "check", data: { value } }] },
});

describe("DiffView", () => {
  it("marks changes with words as well as colour, shows old → new, and renders labels as text", async () => {
    const fetch = vi.fn(async (_url: URL) => json(DIFF));
    vi.stubGlobal("fetch", fetch);
    const { container } = render(
      wrap(
        <DiffView
          workflowId="w1"
          versions={[version("v2", 2, 50), version("v1", 1, 100)]}
          draft={{}}
          from="v1"
          to="v2"
          onChange={() => {}}
        />,
      ),
    );
    const added = await screen.findByTestId("wf-node-added");
    expect(added.textContent).toContain("+ added");
    expect(added.textContent).toContain(XSS);
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByTestId("wf-node-removed").textContent).toContain("− removed");
    const change = screen.getByTestId("wf-param-change").textContent ?? "";
    expect(change).toContain("data.rules.conditions.0.value");
    expect(change).toMatch(/100\s*→\s*50/);
    expect(String(fetch.mock.calls[0][0])).toContain("/workflows/w1/diff?from=v1&to=v2");

    fireEvent.click(screen.getByRole("tab", { name: "Transitions" }));
    expect(screen.getByTestId("wf-edge-added").textContent).toContain("small → note");
    fireEvent.click(screen.getByRole("tab", { name: "Raw JSON" }));
    const raw = screen.getByTestId("wf-raw-diff");
    expect(raw.querySelector(".wf-line-removed")?.textContent).toContain('"value": 100');
    expect(raw.querySelector(".wf-line-added")?.textContent).toContain('"value": 50');
  });
});

const step = (seq: number, node_id: string, extra: Partial<Trace["steps"][number]> = {}) => ({
  seq,
  node_id,
  node_type: "set",
  token: "t1",
  status: "completed",
  input: {},
  output: null,
  handle: "default",
  error: null,
  explanation: null,
  attempts: 1,
  at: "2026-11-22T10:00:00Z",
  ...extra,
});

describe("SimulatorPanel", () => {
  it("refuses malformed pasted JSON without sending it", async () => {
    const fetch = vi.fn(async (_url: URL, _init?: RequestInit) => json({ order: { order_id: "A1" } }));
    vi.stubGlobal("fetch", fetch);
    render(wrap(<SimulatorPanel workflowId="w1" definition={null} onStep={() => {}} />));
    await screen.findByLabelText("Entity type");
    fireEvent.click(screen.getByLabelText("Pasted JSON"));
    fireEvent.change(screen.getByLabelText("Input JSON"), { target: { value: "{oops" } });
    fireEvent.click(screen.getByRole("button", { name: "Run simulation" }));
    expect(screen.getByRole("alert").textContent).toContain("Not valid JSON");
    expect(fetch.mock.calls.every(([, init]) => (init as RequestInit | undefined)?.method !== "POST")).toBe(true);
  });

  it("steps through the trace, reports the current node and opens a failure at its node", async () => {
    const trace: Trace = {
      status: "failed",
      output: null,
      error: { class: "configuration", message: "bad url" },
      steps: [
        step(1, "start"),
        step(2, "check", { node_type: "condition", handle: "true", explanation: "input.amount (12000) greater 50 → true" }),
        step(3, "call", { node_type: "http", status: "failed", error: { class: "configuration", message: "bad url" } }),
      ],
      effects: [],
      waits: [],
      elapsed_virtual_seconds: 0,
      path: ["start", "check", "call"],
    };
    const fetch = vi.fn(async (_url: URL, init?: RequestInit) =>
      init?.method === "POST" ? json(trace) : json({ quote: { amount: 12000 } }),
    );
    vi.stubGlobal("fetch", fetch);
    const onStep = vi.fn();
    const definition = { nodes: [] };
    render(wrap(<SimulatorPanel workflowId="w1" definition={definition} onStep={onStep} />));
    await screen.findByLabelText("Entity type");
    fireEvent.click(screen.getByRole("button", { name: "Run simulation" }));
    const detail = await screen.findByTestId("sim-step-detail");
    expect(screen.getByTestId("sim-current-node").textContent).toBe("call");
    expect(within(detail).getByTestId("sim-step-error").textContent).toContain("bad url");
    expect(onStep).toHaveBeenLastCalledWith("call");
    const sent = JSON.parse(String(fetch.mock.calls.find(([, i]) => i?.method === "POST")?.[1]?.body));
    expect(sent).toMatchObject({ entity_type: "quote", definition });
    fireEvent.click(screen.getByRole("button", { name: "Previous" }));
    expect(screen.getByTestId("sim-handle").textContent).toBe("true");
    expect(screen.getByTestId("sim-explanation").textContent).toContain("12000");
    expect(onStep).toHaveBeenLastCalledWith("check");
  });
});

describe("Gantt", () => {
  it("draws one bar per step on a shared axis, with a legend, and selects on click", () => {
    const timeline: Timeline = {
      instance_id: "r1",
      status: "cancelled",
      started_at: "2026-11-22T10:00:00.000Z",
      finished_at: "2026-11-22T10:00:04.000Z",
      duration_ms: 4000,
      total_steps: 2,
      success_rate: 0.5,
      entries: [
        { seq: 1, node_id: "start", node_type: "start", label: null, token: "t1", status: "completed", start: "2026-11-22T10:00:00.000Z", end: "2026-11-22T10:00:01.000Z", duration_ms: 1000, attempts: 1 },
        { seq: 2, node_id: "hold", node_type: "delay", label: XSS, token: "t1", status: "waiting", start: "2026-11-22T10:00:01.000Z", end: null, duration_ms: null, attempts: 1 },
      ],
    };
    const onSelect = vi.fn();
    const { container } = render(<Gantt timeline={timeline} selected={null} onSelect={onSelect} now={Date.parse("2026-11-22T11:00:00Z")} />);
    const bars = screen.getAllByTestId("gantt-bar");
    expect(bars).toHaveLength(2);
    expect(bars[0].getAttribute("aria-label")).toBe("1. start (start): completed, 1 s");
    // the unfinished step of a finished run ends with the run, not at "now"
    expect(bars[1].getAttribute("aria-label")).toContain("3 s, unfinished");
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByRole("list", { name: "Legend" }).textContent).toContain("waiting");
    fireEvent.click(bars[1]);
    expect(onSelect).toHaveBeenCalledWith(2);
  });
});
