/** A rule's params from the JSON text the form holds: an object, or why it is not one. */
export function parseParams(text: string): { params: Record<string, unknown> } | { error: string } {
  if (!text.trim()) return { params: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `Parameters are not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { error: 'Parameters must be a JSON object, e.g. {"text": "A specialist will take it from here."}' };
  }
  return { params: value as Record<string, unknown> };
}

/** The JSON text the form shows for a rule's params (empty for none). */
export function showParams(params: Record<string, unknown>): string {
  return Object.keys(params).length ? JSON.stringify(params, null, 2) : "";
}
