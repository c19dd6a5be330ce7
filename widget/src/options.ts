import type { WidgetOptions } from "./types";

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const COLOR = /^(#[0-9a-f]{3,8}|(rgb|hsl)a?\([\d\s.,%/]+\)|[a-z]{3,20})$/i;

/** The script tag that loaded the widget (``currentScript`` while it runs, else by attribute). */
export function findScript(doc: Document): HTMLScriptElement | null {
  const current = doc.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.tenant) return current;
  return doc.querySelector<HTMLScriptElement>('script[data-tenant][src*="widget.js"]');
}

/** A CSS colour from a data attribute, or null when it does not look like one. */
export function safeColor(value: string | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  return COLOR.test(v) ? v : null;
}

/**
 * Options from the script tag: ``data-tenant`` (required), ``data-title``, ``data-accent``,
 * ``data-position`` (left or right), ``data-greeting``. The API base is where the script came from.
 */
export function readOptions(script: HTMLScriptElement): WidgetOptions {
  const tenant = (script.dataset.tenant ?? "").trim();
  if (!SLUG.test(tenant)) throw new Error(`Frontdesk widget: invalid data-tenant "${tenant}"`);
  const src = new URL(script.src, script.ownerDocument.baseURI);
  return {
    tenant,
    apiBase: new URL("api/v1/webchat/", new URL(".", src)).href,
    title: script.dataset.title?.trim() || "Chat with us",
    accent: safeColor(script.dataset.accent),
    position: script.dataset.position === "left" ? "left" : "right",
    greeting: script.dataset.greeting?.trim() || null,
  };
}
