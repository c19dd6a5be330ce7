import type { ChatMessage } from "./types";

/** The part of EventSource the stream uses (so tests can pass a fake). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/** What to do after the stream dropped: reconnect after ``delayMs``, or stop. */
export type DropDecision = { delayMs: number } | "stop";

/**
 * A live message stream that reconnects itself. Each connection asks for messages after the last
 * one seen (``urlFor`` is called afresh), so a reconnect neither loses nor repeats messages; the
 * browser's own retry is disabled because it would replay the first URL.
 */
export class LiveStream {
  private source: EventSourceLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private failures = 0;

  constructor(
    private readonly urlFor: () => string,
    private readonly onMessage: (message: ChatMessage) => void,
    private readonly onDrop: (failures: number) => Promise<DropDecision>,
    private readonly onOpen: () => void,
    private readonly factory: EventSourceFactory = (url) => new EventSource(url),
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.source?.close();
    this.source = null;
  }

  private connect(): void {
    if (this.stopped) return;
    const source = this.factory(this.urlFor());
    this.source = source;
    source.addEventListener("open", () => {
      if (this.source !== source) return;
      this.failures = 0;
      this.onOpen();
    });
    source.addEventListener("message", (event) => {
      if (this.source !== source) return;
      const data = (event as MessageEvent<string>).data;
      try {
        this.onMessage(JSON.parse(data) as ChatMessage);
      } catch {
        /* a malformed event is skipped; the next reconnect catches up by id */
      }
    });
    source.addEventListener("error", () => {
      if (this.source !== source) return;
      source.close();
      this.source = null;
      void this.dropped();
    });
  }

  private async dropped(): Promise<void> {
    this.failures += 1;
    const decision = await this.onDrop(this.failures);
    if (this.stopped || decision === "stop") return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, decision.delayMs);
  }
}
