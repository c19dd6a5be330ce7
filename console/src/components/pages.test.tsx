import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../api/client";
import { MeContext } from "../auth";
import Channels from "../routes/Channels";
import { formValue, SchemaForm, schemaFields, type JsonSchema } from "./SchemaForm";

const XSS = '<img src=x onerror="window.__xss=1">';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const API_KEY: JsonSchema = {
  description: "A bearer-style API key, sent in a header.",
  properties: {
    key: { type: "string", title: "Key", minLength: 1 },
    header: { type: "string", title: "Header", default: "Authorization" },
    probe_url: { anyOf: [{ type: "string", format: "uri" }, { type: "null" }], default: null, title: "Probe Url" },
  },
  required: ["key"],
};

describe("schemaFields", () => {
  it("maps properties to fields: secrets as password inputs, defaults kept, optional branches unwrapped", () => {
    const fields = schemaFields({
      ...API_KEY,
      properties: {
        ...API_KEY.properties,
        scopes: { type: "array", items: { type: "string" }, default: ["a", "b"] },
        private_key: { type: "string" },
        client_secret: { type: "string" },
        verify: { type: "boolean", default: true },
        algorithm: { type: "string", enum: ["sha256", "sha1"] },
      },
    });
    const kinds = Object.fromEntries(fields.map((f) => [f.name, f.kind]));
    expect(kinds).toEqual({
      key: "secret",
      header: "text",
      probe_url: "text",
      scopes: "list",
      private_key: "multiline",
      client_secret: "secret",
      verify: "boolean",
      algorithm: "select",
    });
    expect(fields.find((f) => f.name === "key")?.required).toBe(true);
    expect(fields.find((f) => f.name === "header")?.initial).toBe("Authorization");
    expect(fields.find((f) => f.name === "scopes")?.initial).toBe("a, b");
  });

  it("builds the JSON value: empty optional fields left out, lists split, numbers parsed", () => {
    const fields = schemaFields({
      properties: { key: { type: "string" }, probe_url: { type: "string" }, scopes: { type: "array" }, n: { type: "integer" } },
    });
    expect(formValue(fields, { key: " s3cret ", probe_url: "", scopes: "read, write,", n: "5" })).toEqual({
      key: " s3cret ",
      scopes: ["read", "write"],
      n: 5,
    });
  });
});

describe("SchemaForm", () => {
  it("renders a password input for the secret and submits the typed value", () => {
    const onSubmit = vi.fn();
    const { container } = render(<SchemaForm schema={API_KEY} label="Create" onSubmit={onSubmit} />);
    const key = container.querySelector<HTMLInputElement>('input[name="key"]');
    expect(key?.type).toBe("password");
    expect(container.querySelector<HTMLInputElement>('input[name="header"]')?.value).toBe("Authorization");
    fireEvent.change(key!, { target: { value: "sk-live-123" } });
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(onSubmit).toHaveBeenCalledWith({ key: "sk-live-123", header: "Authorization" });
  });
});

function me(permissions: string[]): Me {
  return {
    member: { id: "m1", email: "ana@acme.example", name: "Ana", available: true },
    tenant: { id: "t1", slug: "acme" },
    role: "admin",
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

describe("Channels page", () => {
  const channels = [
    {
      id: "c1",
      type: "telegram",
      name: XSS,
      enabled: true,
      config: {},
      credentials: { bot_token: "…", secret_token: "…abcd" },
      webhook_url: "https://desk.example/webhooks/acme/c1",
      created_at: "2026-11-22T06:00:00Z",
    },
  ];
  const types = [
    { type: "telegram", required_config: [], required_credentials: ["bot_token"], generated_credential: "secret_token", webhook: true },
    { type: "webchat", required_config: [], required_credentials: [], generated_credential: null, webhook: false },
  ];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

  it("lists channels as text with masked credentials and asks for the required fields", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: URL) => json(String(url).endsWith("/channels/types") ? types : channels)),
    );
    const { container } = render(wrap(me(["channels:read", "channels:write"]), <Channels />));
    expect(await screen.findByText(XSS)).toBeTruthy();
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByText("https://desk.example/webhooks/acme/c1")).toBeTruthy();
    expect(screen.getByText("…abcd")).toBeTruthy();
    const token = await screen.findByLabelText("bot token");
    expect((token as HTMLInputElement).type).toBe("password");
    expect(container.querySelector('select[name="type"] option[value="webchat"]')).toBeNull();
  });

  it("shows the webhook URL and the generated secret once after connecting", async () => {
    const created = { ...channels[0], id: "c2", name: "Support", verify_token: "generated-secret-value" };
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: URL, init?: RequestInit) => {
        if (init?.method === "POST") return json(created, 201);
        return json(String(url).endsWith("/channels/types") ? types : channels);
      }),
    );
    render(wrap(me(["channels:read", "channels:write"]), <Channels />));
    fireEvent.change(await screen.findByLabelText("bot token"), { target: { value: "123:ABC" } });
    fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    expect(await screen.findByText("generated-secret-value")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Copy secret token" })).toBeTruthy();
  });

  it("hides the controls from a reader and shows API errors readably", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json({ detail: "Role 'viewer' lacks 'channels:read'" }, 403)));
    render(wrap(me(["channels:read"]), <Channels />));
    expect((await screen.findByRole("alert")).textContent).toContain("lacks 'channels:read'");
    expect(screen.queryByRole("form", { name: "Connect a channel" })).toBeNull();
  });
});
