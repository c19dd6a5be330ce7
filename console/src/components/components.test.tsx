import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, problemMessage, type Me, type Message, type Stats } from "../api/client";
import { MeContext } from "../auth";
import { staleKeys } from "../live";
import { Faq } from "../routes/Faq";
import { MessageItem } from "./ConversationView";
import { ErrorBoundary } from "./ErrorBoundary";
import { ErrorBox } from "./Status";
import { volumeSeries } from "./VolumeChart";

const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function me(role: Me["role"], permissions: string[]): Me {
  return {
    member: { id: "m1", email: "ana@acme.example", name: "Ana", available: true },
    tenant: { id: "t1", slug: "acme" },
    role,
    permissions,
    csrf_token: null,
  };
}

function wrap(user: Me, children: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={client}>
      <MeContext.Provider value={user}>{children}</MeContext.Provider>
    </QueryClientProvider>
  );
}

describe("MessageItem", () => {
  it("shows customer markup as text", () => {
    const message: Message = {
      id: "1",
      conversation_id: "c",
      direction: "in",
      sender: "customer",
      text: XSS,
      content: {},
      meta: {},
      reply_to_id: null,
      status: "received",
      created_at: "2026-11-22T06:00:00Z",
    };
    const { container } = render(<MessageItem message={message} />);
    expect(container.querySelector("img, script")).toBeNull();
    expect(screen.getByText(XSS)).toBeTruthy();
  });

  it("shows a customer message's translation and a reply as it was written", () => {
    const base: Message = {
      id: "2",
      conversation_id: "c",
      direction: "in",
      sender: "customer",
      text: "Wo ist mein Paket?",
      content: {},
      meta: { translation: { text: "Where is my parcel?", from: "de", to: "en" } },
      reply_to_id: null,
      status: "received",
      created_at: "2026-11-22T06:00:00Z",
    };
    const reply: Message = {
      ...base,
      id: "3",
      direction: "out",
      sender: "agent",
      text: "Es ist unterwegs.",
      meta: { translation: { original: "It is on its way.", from: "en", to: "de" } },
    };
    render(
      <ol>
        <MessageItem message={base} />
        <MessageItem message={reply} />
      </ol>,
    );
    const lines = screen.getAllByTestId("translation").map((line) => line.textContent);
    expect(lines).toEqual(["translated from de: Where is my parcel?", "sent in de, written as: It is on its way."]);
  });
});

describe("ErrorBox", () => {
  it("shows the API's problem detail", () => {
    render(<ErrorBox error={new ApiError(409, "conflict", "Claim the conversation first")} />);
    expect(screen.getByRole("alert").textContent).toContain("Claim the conversation first");
  });

  it("names the invalid fields of a validation problem", () => {
    const text = problemMessage(
      { detail: "The request is invalid", errors: [{ loc: ["body", "password"], msg: "too short" }] },
      422,
    );
    expect(text).toBe("password: too short");
  });
});

describe("Faq page", () => {
  const entries = [
    {
      id: "f1",
      question: XSS,
      answer: "We ship in 3 days.",
      alternate_questions: ["delivery time"],
      category: "shipping",
      tags: [],
      language: "en",
      priority: 0,
      enabled: true,
      hit_count: 4,
      created_at: "2026-11-22T06:00:00Z",
    },
  ];

  function stubFetch() {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify(entries), { status: 200, headers: { "Content-Type": "application/json" } })),
    );
  }

  it("lists entries as text, with edit controls for editors", async () => {
    stubFetch();
    const { container } = render(wrap(me("config_manager", ["faq:read", "faq:write"]), <Faq />));
    expect(await screen.findByText(XSS)).toBeTruthy();
    expect(container.querySelector(".faq img, .faq script")).toBeNull();
    expect(screen.getByRole("button", { name: "Edit" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "New entry" })).toBeTruthy();
  });

  it("hides edit controls from a viewer", async () => {
    stubFetch();
    render(wrap(me("viewer", ["faq:read"]), <Faq />));
    await screen.findByText("We ship in 3 days.");
    expect(screen.queryByRole("button", { name: "Edit" })).toBeNull();
    expect(screen.queryByRole("button", { name: "New entry" })).toBeNull();
  });

  it("shows a readable error when the API fails", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ detail: "Role 'agent' lacks 'faq:read'" }), { status: 403 })),
    );
    render(wrap(me("agent", ["faq:read"]), <Faq />));
    expect((await screen.findByRole("alert")).textContent).toContain("lacks 'faq:read'");
  });
});

describe("volumeSeries", () => {
  it("zero-fills every bucket of the period and sums per channel and direction", () => {
    const stats = {
      hours: 3,
      bucket: "hour",
      volume: [
        { bucket: "2026-11-22T05:00:00Z", channel: "webchat", direction: "in", count: 2 },
        { bucket: "2026-11-22T06:00:00Z", channel: "webchat", direction: "in", count: 1 },
        { bucket: "2026-11-22T06:00:00Z", channel: "webchat", direction: "out", count: 3 },
      ],
    } as unknown as Stats;
    const now = Date.parse("2026-11-22T06:30:00Z") / 1000;
    const { x, series } = volumeSeries(stats, now);
    expect(x).toHaveLength(3);
    expect(series).toEqual([
      { label: "webchat in", values: [0, 2, 1] },
      { label: "webchat out", values: [0, 0, 3] },
    ]);
  });
});

describe("staleKeys", () => {
  it("refreshes the conversation a message belongs to", () => {
    const keys = staleKeys({ id: "e", type: "message.received", payload: { conversation_id: "c1" }, created_at: "" });
    expect(keys).toEqual([["stats"], ["conversations"], ["conversation", "c1"]]);
  });

  it("refreshes the callbacks when one is queued or settled", () => {
    const keys = staleKeys({ id: "e", type: "callback.queued", payload: { conversation_id: "c1" }, created_at: "" });
    expect(keys).toEqual([["stats"], ["callbacks"]]);
  });
});

describe("ErrorBoundary", () => {
  it("shows a message instead of a blank page when a page throws", () => {
    const Broken = () => {
      throw new Error("boom");
    };
    vi.spyOn(console, "error").mockImplementation(() => {});
    render(
      <ErrorBoundary>
        <Broken />
      </ErrorBoundary>,
    );
    expect(screen.getByRole("alert").textContent).toContain("boom");
  });
});
