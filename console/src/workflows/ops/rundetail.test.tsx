import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../../api/client";
import { MeContext } from "../../auth";
import RunDetail from "../RunDetail";
import type { RunDetail as Detail, Timeline } from "./api";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function me(permissions: string[]): Me {
  return {
    member: { id: "m1", email: "ana@acme.example", name: "Ana", available: true },
    tenant: { id: "t1", slug: "acme" },
    role: "admin",
    permissions,
    csrf_token: null,
  };
}

const AT = "2026-11-22T10:00:00Z";
const step = {
  seq: 1,
  node_id: "hold",
  node_type: "delay",
  token: "t1",
  status: "waiting",
  handle: null,
  input: { seconds: 3600 },
  output: null,
  error: null,
  explanation: null,
  attempts: 1,
  started_at: AT,
  finished_at: null,
  skip_reason: null,
  skipped_by: null,
};

function run(status: string): Detail {
  return {
    id: "r1",
    workflow_id: "w1",
    version_id: "v1",
    variant: null,
    status,
    entity_type: null,
    entity_id: null,
    input: {},
    output: null,
    error: status === "cancelled" ? { class: "cancelled", by: "m1" } : null,
    trigger_type: "manual",
    parent_id: null,
    level: 0,
    started_at: AT,
    finished_at: status === "cancelled" ? "2026-11-22T10:00:05Z" : null,
    steps: [step],
    waiting: status === "waiting" ? [{ node_id: "hold", kind: "timer", deadline: null, data: {} }] : [],
  };
}

function timeline(status: string): Timeline {
  return {
    instance_id: "r1",
    status,
    started_at: AT,
    finished_at: null,
    duration_ms: null,
    total_steps: 1,
    success_rate: 0,
    entries: [
      { seq: 1, node_id: "hold", node_type: "delay", label: "Hold", token: "t1", status: "waiting", start: AT, end: null, duration_ms: null, attempts: 1 },
    ],
  };
}

function page(permissions: string[]) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MeContext.Provider value={me(permissions)}>
        <MemoryRouter initialEntries={["/workflow-runs/r1"]}>
          <Routes>
            <Route path="/workflow-runs/:instanceId" element={<RunDetail />} />
          </Routes>
        </MemoryRouter>
      </MeContext.Provider>
    </QueryClientProvider>,
  );
}

/** The run, its timeline, or the team (which names who operated the run). */
function answer(url: URL, status: string): Response {
  const path = String(url);
  if (path.endsWith("/team")) return json([{ id: "m1", email: "ana@x.test", name: "Ana", role: "admin", available: true }]);
  return json(path.endsWith("/timeline") ? timeline(status) : run(status));
}

describe("RunDetail", () => {
  it("hides operations from a reader", async () => {
    vi.stubGlobal("fetch", vi.fn(async (url: URL) => answer(url, "waiting")));
    page(["workflows:read"]);
    fireEvent.click(await screen.findByTestId("gantt-bar"));
    await screen.findByRole("region", { name: "Step details" });
    expect(screen.queryByRole("button", { name: "Cancel run" })).toBeNull();
    expect(screen.queryByRole("region", { name: "Step actions" })).toBeNull();
  });

  it("cancels after confirmation and polls until the run shows the change", async () => {
    let status = "waiting";
    const fetch = vi.fn(async (url: URL, init?: RequestInit) => {
      if (init?.method === "POST") {
        status = "cancelled";
        return json({ accepted: true, instance_id: "r1" }, 202);
      }
      return answer(url, status);
    });
    vi.stubGlobal("fetch", fetch);
    vi.stubGlobal("confirm", vi.fn(() => true));
    page(["workflows:read", "workflows:run"]);
    fireEvent.click(await screen.findByRole("button", { name: "Cancel run" }));
    expect(await screen.findByText(/Cancelled:/, undefined, { timeout: 3000 })).toBeTruthy();
    const post = fetch.mock.calls.find(([, init]) => init?.method === "POST");
    expect(String(post?.[0])).toContain("/workflow-instances/r1/cancel");
    expect(screen.queryByRole("button", { name: "Cancel run" })).toBeNull();
    expect(screen.queryByTestId("run-pending")).toBeNull();
  });
});
