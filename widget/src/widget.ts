import { ApiError, ChatApi } from "./api";
import { renderMessage } from "./render";
import type { SessionStore } from "./store";
import { type DropDecision, type EventSourceFactory, LiveStream } from "./stream";
import { STYLES } from "./styles";
import type { ChatMessage, StoredSession, WidgetOptions } from "./types";

const TYPING_TIMEOUT_MS = 20_000;
const HISTORY_PAGE = 200;
const CHAT_ICON =
  "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

/** The chat widget: a launcher, a panel, and the session behind them. */
export class ChatWidget {
  readonly host: HTMLElement;
  private readonly root: ShadowRoot;
  private readonly launcher: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly log: HTMLElement;
  private readonly status: HTMLElement;
  private readonly errorBox: HTMLElement;
  private readonly errorText: HTMLElement;
  private readonly retryButton: HTMLButtonElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stream: LiveStream;
  private session: StoredSession | null = null;
  private starting: Promise<StoredSession> | null = null;
  private readonly seen = new Set<string>();
  private lastId: string | null = null;
  private typingTimer: ReturnType<typeof setTimeout> | null = null;
  private blockedUntil = 0;
  private retry: (() => void) | null = null;
  private unread = 0;
  private readonly badge: HTMLElement;

  constructor(
    private readonly doc: Document,
    private readonly options: WidgetOptions,
    private readonly api: ChatApi,
    private readonly store: SessionStore,
    eventSource?: EventSourceFactory,
  ) {
    // A custom element name: page rules aimed at div, section, etc. do not match the host.
    this.host = doc.createElement("frontdesk-chat");
    this.host.dataset.frontdeskWidget = options.tenant;
    this.host.dataset.position = options.position;
    if (options.accent) this.host.style.setProperty("--fd-accent", options.accent);
    this.root = this.host.attachShadow({ mode: "open" });
    this.adoptStyles();

    this.launcher = this.make("button", "fd-launcher");
    this.launcher.type = "button";
    this.launcher.setAttribute("aria-label", `Open chat: ${options.title}`);
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.setAttribute("aria-controls", "fd-panel");
    this.badge = this.make("span", "fd-badge");
    this.badge.setAttribute("aria-hidden", "true");
    this.badge.hidden = true;
    this.launcher.append(icon(doc), this.badge);

    this.panel = this.make("section", "fd-panel");
    this.panel.id = "fd-panel";
    this.panel.hidden = true;
    this.panel.setAttribute("role", "dialog");
    this.panel.setAttribute("aria-modal", "false");
    this.panel.setAttribute("aria-labelledby", "fd-title");

    const header = this.make("header", "fd-header");
    const title = this.make("h2", "fd-title", options.title);
    title.id = "fd-title";
    const close = this.make("button", "fd-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    header.append(title, close);

    this.log = this.make("div", "fd-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("aria-relevant", "additions");
    this.log.setAttribute("aria-label", "Conversation");
    this.log.tabIndex = 0;

    this.status = this.make("div", "fd-status");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");

    this.errorBox = this.make("div", "fd-error");
    this.errorBox.setAttribute("role", "alert");
    this.errorBox.hidden = true;
    this.errorText = this.make("span", "fd-error-text");
    this.retryButton = this.make("button", "fd-retry", "Retry");
    this.retryButton.type = "button";
    this.errorBox.append(this.errorText, this.retryButton);

    const form = this.make("form", "fd-form");
    form.setAttribute("aria-label", "Send a message");
    this.input = this.make("textarea", "fd-input");
    this.input.rows = 1;
    this.input.maxLength = 4096;
    this.input.placeholder = "Type your message…";
    this.input.setAttribute("aria-label", "Message");
    this.sendButton = this.make("button", "fd-send", "Send");
    this.sendButton.type = "submit";
    form.append(this.input, this.sendButton);

    this.panel.append(header, this.log, this.status, this.errorBox, form);
    this.root.append(this.panel, this.launcher);

    this.stream = new LiveStream(
      () => this.api.streamUrl(this.requireSession(), this.lastId),
      (message) => this.receive(message),
      (failures) => this.streamDropped(failures),
      () => this.clearError(),
      eventSource,
    );

    this.launcher.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    close.addEventListener("click", () => this.close());
    this.retryButton.addEventListener("click", () => this.retry?.());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  /** Show the panel, focus the message box, and start (or resume) the session. */
  open(): void {
    this.panel.hidden = false;
    this.unread = 0;
    this.updateLauncher();
    this.input.focus();
    this.scrollToEnd();
    void this.start(true).catch(() => undefined);
  }

  /** Hide the panel and give focus back to the launcher; the session stays live. */
  close(): void {
    this.panel.hidden = true;
    this.updateLauncher();
    this.launcher.focus();
  }

  /**
   * Reconnect to a remembered session at page load, panel closed, so that a reply arriving later
   * (an agent's, say) shows on the launcher. Never creates a session: that waits for the first open.
   */
  resumeRemembered(): void {
    if (this.store.load()) void this.start(false).catch(() => undefined);
  }

  private updateLauncher(): void {
    const open = this.isOpen;
    const news = this.unread ? `, ${this.unread} new message${this.unread > 1 ? "s" : ""}` : "";
    this.launcher.setAttribute("aria-expanded", String(open));
    this.launcher.setAttribute("aria-label", `${open ? "Close" : "Open"} chat: ${this.options.title}${news}`);
    this.badge.textContent = String(this.unread);
    this.badge.hidden = this.unread === 0;
  }

  /** Constructable stylesheets pass strict Content-Security-Policies; a style tag otherwise. */
  private adoptStyles(): void {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLES);
      this.root.adoptedStyleSheets = [sheet];
    } catch {
      const style = this.doc.createElement("style");
      style.textContent = STYLES;
      this.root.append(style);
    }
  }

  private make<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className: string,
    text?: string,
  ): HTMLElementTagNameMap[K] {
    const node = this.doc.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  private requireSession(): StoredSession {
    if (!this.session) throw new Error("no session");
    return this.session;
  }

  /** The session, opened once: the remembered one with its history, or (``create``) a new one. */
  private start(create: boolean): Promise<StoredSession> {
    if (this.session && this.stream.running) return Promise.resolve(this.session);
    this.starting ??= this.resume(create)
      .then((session) => {
        this.clearError();
        this.stream.start();
        return session;
      })
      .catch((error: unknown) => {
        if (create) {
          this.showError(describe(error, "The chat could not be opened."), () => this.open());
        }
        throw error;
      })
      .finally(() => {
        this.starting = null;
      });
    return this.starting;
  }

  private async resume(create: boolean): Promise<StoredSession> {
    const stored = this.session ?? this.store.load();
    if (stored) {
      try {
        this.session = stored;
        this.showGreeting();
        await this.catchUp();
        return stored;
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
        this.forgetSession();
        if (!create) throw error;
      }
    }
    const session = await this.api.createSession();
    this.store.save(session);
    this.session = session;
    this.showGreeting();
    return session;
  }

  private forgetSession(): void {
    this.stream.stop();
    this.store.clear();
    this.session = null;
    this.seen.clear();
    this.lastId = null;
    this.log.replaceChildren();
  }

  private showGreeting(): void {
    if (!this.options.greeting || this.log.querySelector(".fd-greeting")) return;
    const node = this.make("div", "fd-msg fd-theirs fd-greeting");
    node.append(this.make("p", "fd-text", this.options.greeting));
    this.log.prepend(node);
  }

  /** Fetch what the stream has not delivered yet (all of it on first load). */
  private async catchUp(): Promise<void> {
    const session = this.requireSession();
    for (;;) {
      const page = await this.api.messages(session, this.lastId);
      page.forEach((message) => this.receive(message));
      if (page.length < HISTORY_PAGE) return;
    }
  }

  private async streamDropped(failures: number): Promise<DropDecision> {
    // Exponential, capped, with jitter so visitors do not all come back in the same instant.
    const backoff = Math.min(10_000, 500 * 2 ** Math.min(failures - 1, 5)) * (0.8 + 0.4 * Math.random());
    try {
      await this.catchUp();
      this.clearError();
      return { delayMs: backoff };
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.forgetSession();
        this.showError("Your chat session expired.", () => this.open());
        return "stop";
      }
      if (error instanceof ApiError && error.retryAfter !== null) {
        return { delayMs: Math.max(backoff, error.retryAfter * 1000) };
      }
      this.showError("Connection lost. Reconnecting…", null);
      return { delayMs: backoff };
    }
  }

  /** Show one message from the server, once, in order. */
  private receive(message: ChatMessage): void {
    if (this.lastId === null || message.id > this.lastId) this.lastId = message.id;
    if (this.seen.has(message.id)) return;
    this.seen.add(message.id);
    if (message.direction !== "in") {
      this.setTyping(false);
      if (!this.isOpen && this.stream.running) {
        this.unread += 1;
        this.updateLauncher();
      }
    }
    const pending = this.log.querySelector<HTMLElement>(`[data-pending-id="${cssId(message.id)}"]`);
    const node = renderMessage(
      this.doc,
      message,
      (payload, label) => this.send(payload, label),
      this.options.apiBase,
    );
    if (pending) pending.replaceWith(node);
    else this.log.append(node);
    node.querySelectorAll("img").forEach((img) =>
      img.addEventListener("load", () => this.scrollToEnd(), { once: true }),
    );
    this.scrollToEnd();
  }

  private scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text || this.sendButton.disabled) return;
    this.input.value = "";
    void this.send(text, text);
  }

  /** Send ``payload`` (shown as ``label``); a dead session is replaced and the send tried once more. */
  private async send(payload: string, label: string, again = true): Promise<void> {
    if (Date.now() < this.blockedUntil) return;
    const bubble = this.pendingBubble(label);
    this.status.textContent = "Sending…";
    try {
      const session = await this.start(true);
      const id = await this.api.send(session, payload);
      this.status.textContent = "";
      if (this.seen.has(id)) {
        bubble.remove();
      } else {
        bubble.dataset.pendingId = id;
        bubble.classList.remove("fd-pending");
        bubble.querySelector(".fd-note")?.remove();
      }
      this.clearError();
      this.setTyping(true);
    } catch (error) {
      this.status.textContent = "";
      if (again && error instanceof ApiError && error.status === 401) {
        bubble.remove();
        this.forgetSession();
        return this.send(payload, label, false);
      }
      this.markFailed(bubble);
      if (error instanceof ApiError && error.status === 429) this.block(error.retryAfter ?? 5);
      else this.showError(describe(error, "Your message was not sent."), () => {
        bubble.remove();
        void this.send(payload, label);
      });
      if (!this.input.value) this.input.value = label === payload ? payload : "";
    }
  }

  private pendingBubble(text: string): HTMLElement {
    const node = this.make("div", "fd-msg fd-mine fd-pending");
    node.append(this.make("p", "fd-text", text), this.make("span", "fd-note", "Sending…"));
    this.log.append(node);
    this.scrollToEnd();
    return node;
  }

  private markFailed(bubble: HTMLElement): void {
    bubble.classList.remove("fd-pending");
    bubble.classList.add("fd-failed");
    const note = bubble.querySelector(".fd-note") ?? bubble.appendChild(this.make("span", "fd-note"));
    note.textContent = "Not sent";
  }

  /** Too many messages: keep the send button off for the server's Retry-After. */
  private block(seconds: number): void {
    this.blockedUntil = Date.now() + seconds * 1000;
    this.sendButton.disabled = true;
    this.showBlocked();
    setTimeout(() => {
      this.blockedUntil = 0;
      this.sendButton.disabled = false;
      this.clearError();
    }, seconds * 1000);
  }

  private setTyping(on: boolean): void {
    if (this.typingTimer !== null) clearTimeout(this.typingTimer);
    this.typingTimer = null;
    this.status.textContent = on ? `${this.options.title} is typing…` : "";
    this.status.classList.toggle("fd-typing", on);
    if (on) this.typingTimer = setTimeout(() => this.setTyping(false), TYPING_TIMEOUT_MS);
  }

  private showError(text: string, retry: (() => void) | null): void {
    this.errorText.textContent = text;
    this.retry = retry;
    this.retryButton.hidden = retry === null;
    this.errorBox.hidden = false;
  }

  /** While sending is blocked, show so with the seconds left; whether it is blocked. */
  private showBlocked(): boolean {
    const wait = Math.ceil((this.blockedUntil - Date.now()) / 1000);
    if (wait > 0) this.showError(`Too many messages. Try again in ${wait} s.`, null);
    return wait > 0;
  }

  /** Hide the notice; while sending is blocked, the block's notice stays (its time updated). */
  private clearError(): void {
    if (this.showBlocked()) return;
    this.errorBox.hidden = true;
    this.retry = null;
  }
}

function describe(error: unknown, fallback: string): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return `${fallback} Check your connection.`;
    if (error.status >= 500) return `${fallback} The service is having trouble.`;
    return `${fallback} ${error.message}`;
  }
  return fallback;
}

function cssId(id: string): string {
  return id.replace(/["\\]/g, "\\$&");
}

function icon(doc: Document): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = doc.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = doc.createElementNS(ns, "path");
  path.setAttribute("d", CHAT_ICON);
  svg.append(path);
  return svg;
}
