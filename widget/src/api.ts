import type { ChatMessage, StoredSession } from "./types";

/** A failed API call: the HTTP status (0 when the network failed) and the server's wait hint. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The web chat API of one tenant, as the widget uses it. */
export class ChatApi {
  constructor(
    private readonly base: string,
    private readonly tenant: string,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  async createSession(): Promise<StoredSession> {
    const body = (await this.call("POST", `${encodeURIComponent(this.tenant)}/sessions`)) as {
      session_id: string;
      token: string;
    };
    return { sessionId: body.session_id, token: body.token };
  }

  async send(session: StoredSession, text: string): Promise<string> {
    const body = (await this.call("POST", this.sessionPath(session, "messages"), session, {
      text,
    })) as { message_id: string };
    return body.message_id;
  }

  async messages(session: StoredSession, after: string | null): Promise<ChatMessage[]> {
    const query = after ? `?after=${encodeURIComponent(after)}` : "";
    return (await this.call("GET", this.sessionPath(session, "messages") + query, session)) as ChatMessage[];
  }

  /** The live stream's URL (EventSource cannot send headers, so the token rides in the query). */
  streamUrl(session: StoredSession, after: string | null): string {
    const params = new URLSearchParams({ token: session.token });
    if (after) params.set("after", after);
    return `${this.base}${this.sessionPath(session, "stream")}?${params.toString()}`;
  }

  private sessionPath(session: StoredSession, leaf: string): string {
    return `sessions/${encodeURIComponent(session.sessionId)}/${leaf}`;
  }

  private async call(
    method: string,
    path: string,
    session?: StoredSession,
    json?: unknown,
  ): Promise<unknown> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (session) headers.Authorization = `Bearer ${session.token}`;
    if (json !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetcher(this.base + path, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        mode: "cors",
        credentials: "omit",
      });
    } catch {
      throw new ApiError(0, "The chat service cannot be reached.");
    }
    if (!response.ok) {
      throw new ApiError(
        response.status,
        await problemDetail(response),
        parseRetryAfter(response.headers.get("Retry-After")),
      );
    }
    return response.json();
  }
}

async function problemDetail(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { detail?: unknown; title?: unknown };
    if (typeof body.detail === "string") return body.detail;
    if (typeof body.title === "string") return body.title;
  } catch {
    /* not a problem+json body */
  }
  return `The chat service answered ${response.status}.`;
}
