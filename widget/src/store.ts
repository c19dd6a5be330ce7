import type { StoredSession } from "./types";

const PREFIX = "frontdesk-widget:";

/** Minimal storage contract (localStorage, or memory where it is unavailable). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** An in-memory fallback for browsers that block localStorage (private modes, sandboxed frames). */
export class MemoryStorage implements KeyValue {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** localStorage when it works, memory otherwise. */
export function defaultStorage(): KeyValue {
  try {
    const probe = `${PREFIX}probe`;
    window.localStorage.setItem(probe, "1");
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    return new MemoryStorage();
  }
}

/** Remembers one visitor session per tenant across page reloads. */
export class SessionStore {
  constructor(
    private readonly tenant: string,
    private readonly storage: KeyValue,
  ) {}

  private get key(): string {
    return `${PREFIX}${this.tenant}`;
  }

  /** The remembered session, or null when none (or a corrupt entry) is stored. */
  load(): StoredSession | null {
    let raw: string | null;
    try {
      raw = this.storage.getItem(this.key);
    } catch {
      return null;
    }
    if (!raw) return null;
    try {
      const value: unknown = JSON.parse(raw);
      if (isSession(value)) return { sessionId: value.sessionId, token: value.token };
    } catch {
      /* corrupt entry: forget it below */
    }
    this.clear();
    return null;
  }

  save(session: StoredSession): void {
    try {
      this.storage.setItem(this.key, JSON.stringify(session));
    } catch {
      /* storage full or blocked: the session lasts for this page only */
    }
  }

  clear(): void {
    try {
      this.storage.removeItem(this.key);
    } catch {
      /* nothing stored */
    }
  }
}

function isSession(value: unknown): value is StoredSession {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.sessionId === "string" &&
    typeof v.token === "string" &&
    v.sessionId.length > 0 &&
    v.token.length > 0
  );
}
