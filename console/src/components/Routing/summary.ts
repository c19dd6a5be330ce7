import { OPERATOR_LABELS } from "../../workflows/rules/model";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

const isGroup = (node: Json) => "logical" in node || "conditions" in node;

function quoted(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value ?? null);
}

function rule(node: Json): string {
  const field = String(node.field ?? "?");
  const operator = String(node.operator ?? "equals");
  const label = OPERATOR_LABELS[operator] ?? operator;
  if (!("value" in node)) return `${field} ${label}`;
  const value = node.value;
  if (operator === "between" && Array.isArray(value) && value.length === 2) {
    return `${field} between ${quoted(value[0])} and ${quoted(value[1])}`;
  }
  if (Array.isArray(value)) return `${field} ${label} ${value.map(quoted).join(", ")}`;
  return `${field} ${label} ${quoted(value)}`;
}

function group(node: Json, nested: boolean): string {
  const logical = String(node.logical ?? "AND").trim().toUpperCase();
  const children = (Array.isArray(node.conditions) ? node.conditions : []).filter(isObject);
  // The engine: all([]) is true, any([]) and not all([]) are false.
  if (children.length === 0) return logical === "AND" ? "always" : "never";
  const parts = children.map((child) => (isGroup(child) ? group(child, true) : rule(child)));
  // The engine's NOT is "not all of": NOT (a AND b).
  const joined = parts.join(logical === "OR" ? " OR " : " AND ");
  if (logical === "NOT") return parts.length === 1 ? `NOT ${joined}` : `NOT (${joined})`;
  return nested && parts.length > 1 ? `(${joined})` : joined;
}

/** A rule group's conditions on one line, e.g. `intent is one of "refund" AND contact.vip equals true`. */
export function summarize(conditions: unknown): string {
  return isObject(conditions) ? group(conditions, false) : "";
}
