import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WebhookSecret } from "./WorkflowSettings";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("WebhookSecret", () => {
  it("issues a secret only after confirmation and shows the URL and the secret once", async () => {
    const issued = { url: "http://x/webhooks/demo/workflows/w1", secret: "s3cr3t", header: "X-Frontdesk-Signature" };
    const fetch = vi.fn(async (_url: URL, _init?: RequestInit) => json(issued));
    vi.stubGlobal("fetch", fetch);
    const confirm = vi.fn().mockReturnValueOnce(false).mockReturnValueOnce(true);
    vi.stubGlobal("confirm", confirm);
    render(<WebhookSecret workflowId="w1" readOnly={false} />);
    const button = screen.getByRole("button", { name: "Show URL and issue a secret" });
    fireEvent.click(button);
    expect(fetch).not.toHaveBeenCalled();
    fireEvent.click(button);
    expect(await screen.findByTestId("copy-Secret")).toHaveProperty("textContent", "s3cr3t");
    expect(screen.getByTestId("copy-URL").textContent).toBe(issued.url);
    expect(confirm).toHaveBeenCalledTimes(2);
    const [url, init] = fetch.mock.calls[0];
    expect(String(url)).toContain("/workflows/w1/webhook-secret");
    expect(init?.method).toBe("POST");
  });

  it("shows the refusal and offers nothing to a reader", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json({ title: "Forbidden", detail: "No access" }, 403)));
    vi.stubGlobal("confirm", vi.fn(() => true));
    const { unmount } = render(<WebhookSecret workflowId="w1" readOnly={false} />);
    fireEvent.click(screen.getByRole("button"));
    expect(await screen.findByRole("alert")).toHaveProperty("textContent", expect.stringContaining("No access"));
    unmount();
    render(<WebhookSecret workflowId="w1" readOnly />);
    expect(screen.queryByRole("button")).toBeNull();
  });
});
