import type { ChatMessage } from "./types";

/** A reply button: its label, and the text it sends back when pressed. */
export interface ActionButton {
  label: string;
  payload: string;
}

/** One entry of an interactive list. */
export interface ListItem {
  title: string;
  description: string | null;
  payload: string | null;
}

/** An image to show, by http(s) URL only. */
export interface ImageRef {
  url: string;
  alt: string;
}

/** A file to offer as a link (an agent's attachment), by http(s) URL only. */
export interface FileRef {
  url: string;
  name: string;
}

/** The rich parts of a message's ``content`` that the widget knows how to show. */
export interface RichContent {
  buttons: ActionButton[];
  listTitle: string | null;
  items: ListItem[];
  images: ImageRef[];
  files: FileRef[];
}

const MAX_PARTS = 20;

function str(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

function records(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null)
    .slice(0, MAX_PARTS);
}

/** An absolute http(s) URL, or null: never javascript:, data: or anything else. */
export function safeImageUrl(value: unknown, base?: string): string | null {
  const raw = str(value);
  if (!raw) return null;
  try {
    const url = new URL(raw, base);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function parseButtons(value: unknown): ActionButton[] {
  const buttons: ActionButton[] = [];
  for (const b of records(value)) {
    const label = str(b.label) ?? str(b.title) ?? str(b.text);
    if (label) buttons.push({ label, payload: str(b.payload) ?? str(b.value) ?? label });
  }
  return buttons;
}

function parseItems(value: unknown): ListItem[] {
  const items: ListItem[] = [];
  for (const it of records(value)) {
    const title = str(it.title) ?? str(it.label);
    if (title) {
      items.push({
        title,
        description: str(it.description) ?? str(it.subtitle),
        payload: str(it.payload) ?? str(it.value),
      });
    }
  }
  return items;
}

function parseImages(content: Record<string, unknown>): ImageRef[] {
  const refs = [...records(content.images)];
  if (typeof content.image === "object" && content.image !== null) {
    refs.unshift(content.image as Record<string, unknown>);
  } else if (typeof content.image === "string") {
    refs.unshift({ url: content.image });
  }
  const images: ImageRef[] = [];
  for (const ref of refs.slice(0, MAX_PARTS)) {
    const url = safeImageUrl(ref.url);
    if (url) images.push({ url, alt: str(ref.alt) ?? str(ref.caption) ?? "" });
  }
  return images;
}

/** A reply's ``media`` (``{kind, url, filename, caption}``): an image, or a file to open. */
function parseMedia(value: unknown, base: string | undefined, rich: RichContent): void {
  if (typeof value !== "object" || value === null) return;
  const media = value as Record<string, unknown>;
  const url = safeImageUrl(media.url, base);
  if (!url) return;
  const name = str(media.filename) ?? str(media.caption);
  if (media.kind === "image") rich.images.unshift({ url, alt: str(media.caption) ?? name ?? "" });
  else rich.files.push({ url, name: name ?? "file" });
}

/**
 * Read buttons, a list, images and files from a message's ``content``; unknown shapes are
 * ignored. Relative URLs (files this server keeps) resolve against ``base``.
 */
export function parseRich(content: unknown, base?: string): RichContent {
  const c = typeof content === "object" && content !== null ? (content as Record<string, unknown>) : {};
  const list = c.list;
  let listTitle: string | null = null;
  let items: ListItem[] = [];
  if (Array.isArray(list)) {
    items = parseItems(list);
  } else if (typeof list === "object" && list !== null) {
    const l = list as Record<string, unknown>;
    listTitle = str(l.title);
    items = parseItems(l.items);
  }
  const rich = { buttons: parseButtons(c.buttons), listTitle, items, images: parseImages(c), files: [] };
  parseMedia(c.media, base, rich);
  return rich;
}

/** Who a message is from, as shown to the visitor and to screen readers. */
export function senderLabel(message: ChatMessage): string {
  if (message.direction === "in") return "You";
  return message.sender === "agent" ? "Agent" : "Assistant";
}

/** What pressing a button or list item does: send ``payload``, shown as ``label``. */
export type ActionHandler = (payload: string, label: string) => void;

function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function actionButton(doc: Document, label: string, payload: string, onAction: ActionHandler) {
  const button = el(doc, "button", "fd-action", label);
  button.type = "button";
  button.addEventListener("click", () => onAction(payload, label));
  return button;
}

/**
 * One message as DOM: text through ``textContent`` only (customer and bot text can never become
 * markup), then images, a list and reply buttons from ``content``.
 */
export function renderMessage(
  doc: Document,
  message: ChatMessage,
  onAction: ActionHandler,
  base?: string,
): HTMLElement {
  const mine = message.direction === "in";
  const root = el(doc, "div", `fd-msg ${mine ? "fd-mine" : "fd-theirs"}`);
  root.dataset.id = message.id;
  root.dataset.sender = message.sender;
  root.setAttribute("role", "article");
  root.setAttribute("aria-label", `${senderLabel(message)} said`);
  root.append(el(doc, "span", "fd-visually-hidden", `${senderLabel(message)}: `));
  if (message.text) root.append(el(doc, "p", "fd-text", message.text));
  appendRich(doc, root, parseRich(message.content, base), onAction);
  return root;
}

function appendRich(doc: Document, root: HTMLElement, rich: RichContent, onAction: ActionHandler) {
  for (const image of rich.images) {
    const img = el(doc, "img", "fd-image");
    img.alt = image.alt;
    img.loading = "lazy";
    img.referrerPolicy = "no-referrer";
    img.src = image.url;
    root.append(img);
  }
  for (const file of rich.files) {
    const link = el(doc, "a", "fd-file", file.name);
    link.href = file.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    root.append(link);
  }
  if (rich.items.length) {
    if (rich.listTitle) root.append(el(doc, "p", "fd-list-title", rich.listTitle));
    const list = el(doc, "ul", "fd-list");
    for (const item of rich.items) {
      const li = el(doc, "li", "fd-list-item");
      if (item.payload) {
        li.append(actionButton(doc, item.title, item.payload, onAction));
      } else {
        li.append(el(doc, "span", "fd-list-item-title", item.title));
      }
      if (item.description) li.append(el(doc, "span", "fd-list-item-desc", item.description));
      list.append(li);
    }
    root.append(list);
  }
  if (rich.buttons.length) {
    const group = el(doc, "div", "fd-actions");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    for (const b of rich.buttons) group.append(actionButton(doc, b.label, b.payload, onAction));
    root.append(group);
  }
}
