import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, ChatApi, parseRetryAfter } from "../src/api";
import { MemoryStorage, SessionStore } from "../src/store";
import type { EventSourceLike } from "../src/stream";
import type { ChatMessage } from "../src/types";
import { ChatWidget } from "../src/widget";
import { message } from "./fixtures";

const BASE = "https://fd.test/api/v1/webchat/";

class FakeSource implements EventSourceLike {
  static all: FakeSource[] = [];
  closed = false;
  private listeners = new Map<string, ((event: Event) => void)[]>();
  constructor(readonly url: string) {
    FakeSource.all.push(this);
  }
  addEventListener(type: string, listener: (event: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
  }
  emit(type: string, data?: ChatMessage): void {
    const event = data ? new MessageEvent(type, { data: JSON.stringify(data) }) : new Event(type);
    this.listeners.get(type)?.forEach((listener) => listener(event));
  }
  get params(): URLSearchParams {
    return new URL(this.url).searchParams;
  }
}

type Route = (init: RequestInit) => Response;

/** A fake web chat server: routes by "METHOD path", records every call. */
class FakeServer {
  calls: { method: string; path: string; auth: string | null; body: unknown }[] = [];
  routes = new Map<string, Route[]>();
  on(key: string, ...responses: Route[]): void {
    this.routes.set(key, responses);
  }
  fetch: typeof fetch = async (input, init = {}) => {
    const url = new URL(String(input));
    const path = url.pathname.replace("/api/v1/webchat/", "") + url.search;
    const method = init.method ?? "GET";
    const headers = (init.headers ?? {}) as Record<string, string>;
    this.calls.push({
      method,
      path,
      auth: headers.Authorization ?? null,
      body: init.body ? JSON.parse(String(init.body)) : null,
    });
    const key = `${method} ${path.split("?")[0]}`;
    const queue = this.routes.get(key);
    if (!queue?.length) throw new Error(`unexpected ${key}`);
    const route = queue.length > 1 ? queue.shift()! : queue[0];
    return route(init);
  };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });

function mount(server: FakeServer, storage = new MemoryStorage(), greeting: string | null = null) {
  const widget = new ChatWidget(
    document,
    { tenant: "acme", apiBase: BASE, title: "Acme", accent: "#ff0000", position: "right", greeting },
    new ChatApi(BASE, "acme", server.fetch),
    new SessionStore("acme", storage),
    (url) => new FakeSource(url),
  );
  document.body.append(widget.host);
  const root = widget.host.shadowRoot!;
  const $ = <T extends Element = HTMLElement>(selector: string) => root.querySelector<T>(selector)!;
  return { widget, root, $, storage };
}

const texts = (root: ShadowRoot) =>
  [...root.querySelectorAll(".fd-msg:not(.fd-greeting) .fd-text")].map((n) => n.textContent);

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

beforeEach(() => {
  FakeSource.all = [];
  document.body.replaceChildren();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ChatWidget", () => {
  it("renders in a shadow root with ARIA roles and is closed at first", () => {
    const { root, $, widget } = mount(new FakeServer());
    expect(widget.host.shadowRoot).toBe(root);
    expect($("[role=dialog]").hidden).toBe(true);
    expect($(".fd-launcher").getAttribute("aria-expanded")).toBe("false");
    expect($("[role=log]").getAttribute("aria-live")).toBe("polite");
    expect($("textarea").getAttribute("aria-label")).toBe("Message");
    expect(widget.host.style.getPropertyValue("--fd-accent")).toBe("#ff0000");
    expect(document.querySelector(".fd-panel")).toBeNull();
  });

  it("opens a session lazily on first open and streams replies once each", async () => {
    const server = new FakeServer();
    server.on("POST acme/sessions", json({ session_id: "s1", token: "t1" }, 201));
    const { widget, root, $, storage } = mount(server, undefined, "Hi there!");
    expect(server.calls).toHaveLength(0);
    $<HTMLButtonElement>(".fd-launcher").click();
    await settle();
    expect(widget.isOpen).toBe(true);
    expect(root.activeElement).toBe($("textarea"));
    expect(JSON.parse(storage.getItem("frontdesk-widget:acme")!)).toEqual({ sessionId: "s1", token: "t1" });
    expect($(".fd-greeting").textContent).toBe("Hi there!");
    const source = FakeSource.all[0];
    expect(source.url).toBe(`${BASE}sessions/s1/stream?token=t1`);
    const reply = message({ text: "Welcome" });
    source.emit("message", reply);
    source.emit("message", reply);
    expect(texts(root)).toEqual(["Welcome"]);
  });

  it("restores a remembered session with its history and resumes the stream after it", async () => {
    const storage = new MemoryStorage();
    new SessionStore("acme", storage).save({ sessionId: "s1", token: "t1" });
    const history = [message({ direction: "in", sender: "customer", text: "Hi" }), message({ text: "Hello!" })];
    const server = new FakeServer();
    server.on("GET sessions/s1/messages", json(history));
    const { widget, root } = mount(server, storage);
    widget.open();
    await settle();
    expect(texts(root)).toEqual(["Hi", "Hello!"]);
    expect(server.calls[0].auth).toBe("Bearer t1");
    expect(FakeSource.all[0].params.get("after")).toBe(history[1].id);
  });

  it("at load, resumes a remembered session closed and counts replies on the launcher", async () => {
    const storage = new MemoryStorage();
    new SessionStore("acme", storage).save({ sessionId: "s1", token: "t1" });
    const server = new FakeServer();
    server.on("GET sessions/s1/messages", json([message({ text: "old" })]));
    const { widget, root, $ } = mount(server, storage);
    widget.resumeRemembered();
    await settle();
    expect(widget.isOpen).toBe(false);
    expect($(".fd-badge").hidden).toBe(true);
    FakeSource.all[0].emit("message", message({ sender: "agent", text: "An agent here" }));
    expect($(".fd-badge").hidden).toBe(false);
    expect($(".fd-badge").textContent).toBe("1");
    expect($(".fd-launcher").getAttribute("aria-label")).toBe("Open chat: Acme, 1 new message");
    widget.open();
    expect($(".fd-badge").hidden).toBe(true);
    expect(texts(root)).toEqual(["old", "An agent here"]);
  });

  it("at load, never creates a session: not for a new visitor, not for an expired one", async () => {
    const server = new FakeServer();
    mount(server).widget.resumeRemembered();
    await settle();
    expect(server.calls).toHaveLength(0);
    const storage = new MemoryStorage();
    new SessionStore("acme", storage).save({ sessionId: "old", token: "stale" });
    server.on("GET sessions/old/messages", json({ detail: "Invalid session or token" }, 401));
    const { widget, $ } = mount(server, storage);
    widget.resumeRemembered();
    await settle();
    expect(server.calls.map((c) => c.path)).toEqual(["sessions/old/messages"]);
    expect(storage.getItem("frontdesk-widget:acme")).toBeNull();
    expect($("[role=alert]").hidden).toBe(true);
  });

  it("reconnects after a drop from the last message seen, without duplicates", async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    server.on("POST acme/sessions", json({ session_id: "s1", token: "t1" }, 201));
    const first = message({ text: "one" });
    const missed = message({ text: "two" });
    server.on("GET sessions/s1/messages", json([missed]));
    const { widget, root } = mount(server);
    widget.open();
    await vi.runAllTimersAsync();
    const source = FakeSource.all[0];
    source.emit("open");
    source.emit("message", first);
    source.emit("error");
    expect(source.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.calls.at(-1)?.path).toBe(`sessions/s1/messages?after=${first.id}`);
    const again = FakeSource.all[1];
    expect(again.params.get("after")).toBe(missed.id);
    again.emit("message", missed);
    expect(texts(root)).toEqual(["one", "two"]);
  });

  it("sends with Enter, shows it pending, then typing until the reply", async () => {
    const server = new FakeServer();
    server.on("POST acme/sessions", json({ session_id: "s1", token: "t1" }, 201));
    server.on("POST sessions/s1/messages", json({ message_id: "01M1" }, 202));
    const { widget, root, $ } = mount(server);
    widget.open();
    await settle();
    const input = $<HTMLTextAreaElement>("textarea");
    input.value = "  When will my order arrive?  ";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(input.value).toBe("");
    expect(root.querySelector(".fd-pending .fd-text")?.textContent).toBe("When will my order arrive?");
    await settle();
    expect(server.calls.at(-1)?.body).toEqual({ text: "When will my order arrive?" });
    expect($(".fd-status").textContent).toBe("Acme is typing…");
    const source = FakeSource.all[0];
    source.emit("message", message({ id: "01M1", direction: "in", sender: "customer", text: "When will my order arrive?" }));
    source.emit("message", message({ id: "01M2", text: "3-5 days", reply_to_id: "01M1" }));
    expect(texts(root)).toEqual(["When will my order arrive?", "3-5 days"]);
    expect(root.querySelector(".fd-pending")).toBeNull();
    expect($(".fd-status").textContent).toBe("");
  });

  it("Shift+Enter does not send; Escape closes and returns focus to the launcher", async () => {
    const server = new FakeServer();
    server.on("POST acme/sessions", json({ session_id: "s1", token: "t1" }, 201));
    const { widget, root, $ } = mount(server);
    widget.open();
    await settle();
    const input = $<HTMLTextAreaElement>("textarea");
    input.value = "draft";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true, bubbles: true }));
    expect(input.value).toBe("draft");
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(widget.isOpen).toBe(false);
    expect(root.activeElement).toBe($(".fd-launcher"));
  });

  it("replaces an expired session (401) and sends the message again", async () => {
    const storage = new MemoryStorage();
    new SessionStore("acme", storage).save({ sessionId: "old", token: "stale" });
    const server = new FakeServer();
    server.on("GET sessions/old/messages", json({ detail: "Invalid session or token" }, 401));
    server.on("POST acme/sessions", json({ session_id: "s2", token: "t2" }, 201));
    server.on("POST sessions/s2/messages", json({ message_id: "01M9" }, 202));
    const { widget, $ } = mount(server, storage);
    widget.open();
    await settle();
    $<HTMLTextAreaElement>("textarea").value = "hello";
    $<HTMLFormElement>("form").requestSubmit();
    await settle();
    expect(JSON.parse(storage.getItem("frontdesk-widget:acme")!).sessionId).toBe("s2");
    expect(server.calls.at(-1)).toMatchObject({ path: "sessions/s2/messages", auth: "Bearer t2" });
  });

  it("on 429 marks the message not sent and blocks sending for Retry-After", async () => {
    const server = new FakeServer();
    server.on("POST acme/sessions", json({ session_id: "s1", token: "t1" }, 201));
    server.on("POST sessions/s1/messages", json({ detail: "Rate limit exceeded" }, 429, { "Retry-After": "7" }));
    const { widget, root, $ } = mount(server);
    widget.open();
    await settle();
    $<HTMLTextAreaElement>("textarea").value = "spam";
    $<HTMLFormElement>("form").requestSubmit();
    await settle();
    expect(root.querySelector(".fd-failed .fd-note")?.textContent).toBe("Not sent");
    expect($<HTMLButtonElement>(".fd-send").disabled).toBe(true);
    expect($("[role=alert]").hidden).toBe(false);
    expect($(".fd-error-text").textContent).toContain("7 s");
    expect($<HTMLTextAreaElement>("textarea").value).toBe("spam");
  });

  it("keeps the rate-limit notice when an earlier message's acknowledgement lands after it", async () => {
    const server = new FakeServer();
    server.on("POST acme/sessions", json({ session_id: "s1", token: "t1" }, 201));
    let acknowledge!: () => void;
    const acknowledged = new Promise<void>((resolve) => (acknowledge = resolve));
    const late = () => acknowledged.then(() => json({ message_id: "01M1" }, 202)());
    server.on(
      "POST sessions/s1/messages",
      late as unknown as Route,
      json({ detail: "Rate limit exceeded" }, 429, { "Retry-After": "7" }),
    );
    const { widget, $ } = mount(server);
    widget.open();
    await settle();
    for (const text of ["first", "second"]) {
      $<HTMLTextAreaElement>("textarea").value = text;
      $<HTMLFormElement>("form").requestSubmit();
    }
    await settle();
    acknowledge();
    await settle();
    expect($<HTMLButtonElement>(".fd-send").disabled).toBe(true);
    expect($("[role=alert]").hidden).toBe(false);
    expect($(".fd-error-text").textContent).toContain("Too many messages");
  });

  it("shows a readable error with Retry when the service is unreachable", async () => {
    const server = new FakeServer();
    server.on("POST acme/sessions", () => {
      throw new TypeError("Failed to fetch");
    });
    const { widget, $ } = mount(server);
    widget.open();
    await settle();
    expect($("[role=alert]").hidden).toBe(false);
    expect($(".fd-error-text").textContent).toBe("The chat could not be opened. Check your connection.");
    server.on("POST acme/sessions", json({ session_id: "s1", token: "t1" }, 201));
    $<HTMLButtonElement>(".fd-retry").click();
    await settle();
    expect($("[role=alert]").hidden).toBe(true);
    expect(FakeSource.all).toHaveLength(1);
  });

  it("a button in a bot message sends its payload", async () => {
    const server = new FakeServer();
    server.on("POST acme/sessions", json({ session_id: "s1", token: "t1" }, 201));
    server.on("POST sessions/s1/messages", json({ message_id: "01MB" }, 202));
    const { widget, root } = mount(server);
    widget.open();
    await settle();
    FakeSource.all[0].emit("message", message({ text: "Pick one", content: { buttons: [{ label: "Returns", payload: "What is your return policy?" }] } }));
    root.querySelector<HTMLButtonElement>(".fd-action")!.click();
    await settle();
    expect(server.calls.at(-1)?.body).toEqual({ text: "What is your return policy?" });
    expect(root.querySelector(".fd-mine .fd-text")?.textContent).toBe("Returns");
  });
});

describe("api", () => {
  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("12")).toBe(12);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    const now = Date.parse("2026-11-22T06:00:00Z");
    expect(parseRetryAfter("Sun, 22 Nov 2026 06:00:30 GMT", now)).toBe(30);
  });

  it("raises ApiError with the problem detail", async () => {
    const server = new FakeServer();
    server.on("POST nope/sessions", json({ title: "Not found", detail: "No such tenant" }, 404));
    const error = await new ChatApi(BASE, "nope", server.fetch).createSession().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, message: "No such tenant" });
  });
});
