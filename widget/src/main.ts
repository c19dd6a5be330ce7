import { ChatApi } from "./api";
import { findScript, readOptions } from "./options";
import { SessionStore, defaultStorage } from "./store";
import { ChatWidget } from "./widget";

let widget: ChatWidget | null = null;

/** Mount the widget described by the embedding script tag (once per page). */
function mount(script: HTMLScriptElement): void {
  const doc = script.ownerDocument;
  if (doc.querySelector("[data-frontdesk-widget]")) return;
  const options = readOptions(script);
  widget = new ChatWidget(
    doc,
    options,
    new ChatApi(options.apiBase, options.tenant),
    new SessionStore(options.tenant, defaultStorage()),
  );
  doc.body.append(widget.host);
  widget.resumeRemembered();
}

/** Open the chat panel (for the host page's own "Chat with us" links). */
export function open(): void {
  widget?.open();
}

/** Close the chat panel. */
export function close(): void {
  widget?.close();
}

const script = findScript(document);
if (!script) {
  console.error("Frontdesk widget: no <script data-tenant=…> tag found");
} else if (document.body) {
  mount(script);
} else {
  document.addEventListener("DOMContentLoaded", () => mount(script), { once: true });
}
