// The rule builder's model of the engine's rule JSON (workflows/rules.py): nested groups
// `{logical: AND|OR|NOT, conditions: [...]}` of rules `{field, operator, value}`.
// The model keeps every key of the JSON in its order, so JSON → model → JSON is identical.

export type Logical = "AND" | "OR" | "NOT";
export type ValueType = "string" | "number" | "boolean" | "date";

export interface RuleLeaf {
  kind: "rule";
  key: string;
  /** The rule's JSON object (field, operator, value and whatever else it holds), in order. */
  data: Record<string, unknown>;
}

export interface RuleGroupNode {
  kind: "group";
  key: string;
  /** The group's JSON object; its `conditions` come from `children`. */
  data: Record<string, unknown>;
  children: RuleNode[];
}

export type RuleNode = RuleLeaf | RuleGroupNode;

export const MAX_DEPTH = 10;

/** How the builder (and a rule's one-line summary) names each operator. */
export const OPERATOR_LABELS: Record<string, string> = {
  equals: "equals",
  not_equals: "does not equal",
  contains: "contains",
  not_contains: "does not contain",
  starts_with: "starts with",
  ends_with: "ends with",
  in: "is one of",
  not_in: "is none of",
  greater: ">",
  greater_or_equal: "≥",
  less: "<",
  less_or_equal: "≤",
  between: "between",
  is_empty: "is empty",
  is_not_empty: "is not empty",
  matches: "matches (regex)",
};

const GROUP_KEYS = new Set(["id", "logical", "conditions"]);
const RULE_KEYS = new Set(["id", "field", "operator", "value", "value_type", "valueType", "ignore_case", "ignoreCase"]);
const LOGICALS = new Set(["AND", "OR", "NOT"]);

let counter = 0;
const nextKey = () => `r${(counter += 1)}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isGroup = (value: Record<string, unknown>) => "logical" in value || "conditions" in value;

/** The model of a rule group's JSON (call `problemsOf` first for untrusted JSON). */
export function toModel(json: Record<string, unknown>): RuleGroupNode {
  return toNode(json) as RuleGroupNode;
}

function toNode(json: Record<string, unknown>): RuleNode {
  if (isGroup(json)) {
    const conditions = Array.isArray(json.conditions) ? json.conditions : [];
    return { kind: "group", key: nextKey(), data: { ...json }, children: conditions.filter(isObject).map(toNode) };
  }
  return { kind: "rule", key: nextKey(), data: { ...json } };
}

/** The engine's JSON of a model (keys in their original order). */
export function toJson(node: RuleNode): Record<string, unknown> {
  if (node.kind === "rule") return { ...node.data };
  const conditions = node.children.map(toJson);
  if (!("conditions" in node.data)) return { ...node.data, conditions };
  return Object.fromEntries(Object.entries(node.data).map(([k, v]) => [k, k === "conditions" ? conditions : v]));
}

export function emptyGroup(logical: Logical = "AND"): RuleGroupNode {
  return { kind: "group", key: nextKey(), data: { logical, conditions: [] }, children: [] };
}

export function emptyRule(field = ""): RuleLeaf {
  return { kind: "rule", key: nextKey(), data: { field, operator: "equals", value: "" } };
}

/** Every reason the engine would refuse `json` as a rule group (empty: it is valid). */
export function problemsOf(json: unknown, operators: string[], unary: string[]): string[] {
  const problems: string[] = [];
  if (!isObject(json) || !isGroup(json)) return ["The top level must be a group: {\"logical\": \"AND\", \"conditions\": [...]}"];
  walk(json, "", 1, problems, new Set(operators), new Set(unary));
  return problems;
}

function walk(
  node: Record<string, unknown>,
  path: string,
  depth: number,
  problems: string[],
  operators: Set<string>,
  unary: Set<string>,
): void {
  const where = path || "the top group";
  if (isGroup(node)) {
    if (depth > MAX_DEPTH) {
      problems.push(`${where}: groups are nested deeper than ${MAX_DEPTH} levels`);
      return;
    }
    for (const key of Object.keys(node)) if (!GROUP_KEYS.has(key)) problems.push(`${where}: unknown key "${key}"`);
    const logical = node.logical ?? "AND";
    if (typeof logical !== "string" || !LOGICALS.has(logical.trim().toUpperCase())) {
      problems.push(`${where}: logical must be AND, OR or NOT`);
    }
    if (!Array.isArray(node.conditions)) {
      problems.push(`${where}: conditions must be a list`);
      return;
    }
    node.conditions.forEach((child, index) => {
      const at = `${path}conditions[${index}]`;
      if (!isObject(child)) problems.push(`${at}: must be a rule or a group`);
      else walk(child, `${at}.`, depth + 1, problems, operators, unary);
    });
    return;
  }
  const at = path.replace(/\.$/, "") || "the rule";
  for (const key of Object.keys(node)) if (!RULE_KEYS.has(key)) problems.push(`${at}: unknown key "${key}"`);
  if (typeof node.field !== "string" || !node.field.trim()) problems.push(`${at}: field is required`);
  if (typeof node.operator !== "string" || !operators.has(node.operator)) {
    problems.push(`${at}: unknown operator ${JSON.stringify(node.operator ?? null)}`);
    return;
  }
  if (!unary.has(node.operator) && (node.value === undefined || node.value === null || node.value === "")) {
    problems.push(`${at}: ${node.operator} needs a value`);
  }
  if (node.operator === "between" && !(Array.isArray(node.value) && node.value.length === 2)) {
    problems.push(`${at}: between needs two values [low, high]`);
  }
}

/** Replace the node with `key` in the tree (returns a new tree). */
export function update(root: RuleGroupNode, key: string, change: (node: RuleNode) => RuleNode | null): RuleGroupNode {
  const visit = (node: RuleNode): RuleNode | null => {
    if (node.key === key) return change(node);
    if (node.kind === "rule") return node;
    const children = node.children.map(visit).filter((n): n is RuleNode => n !== null);
    return { ...node, children };
  };
  return (visit(root) as RuleGroupNode | null) ?? emptyGroup();
}

/** Depth of the deepest group (the top group is 1). */
export function depthOf(node: RuleNode): number {
  if (node.kind === "rule") return 0;
  return 1 + Math.max(0, ...node.children.map(depthOf));
}

/** A value for `operator` typed as `type`, from what the user typed. */
export function parseValue(text: string, type: ValueType, operator: string): unknown {
  if (operator === "in" || operator === "not_in") {
    return text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => parseScalar(s, type));
  }
  return parseScalar(text, type);
}

function parseScalar(text: string, type: ValueType): unknown {
  if (type === "number") {
    const n = Number(text);
    return text.trim() !== "" && Number.isFinite(n) ? n : text;
  }
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : text;
  return text;
}

/** What the value input shows for a stored value. */
export function showValue(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(", ");
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The type of a sample value (what the field picker reports for entity fields). */
export function typeOfSample(value: unknown): ValueType {
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) return "date";
  return "string";
}
