import { memo, useState } from "react";
import type { NodeType, Problem } from "../nodes";
import { Field, helpOf, type FieldContext, type Schema } from "./Fields";

/** Which tab a property belongs to (properties not named here are Basic). */
const TABS: { key: string; label: string; fields: string[] }[] = [
  { key: "basic", label: "Basic", fields: [] },
  { key: "inputs", label: "Inputs", fields: ["headers", "query", "body", "input", "auth"] },
  { key: "outputs", label: "Outputs", fields: ["assignments", "response_mapping", "output_variable", "output"] },
  { key: "llm", label: "LLM", fields: ["system", "model", "temperature", "max_tokens", "json_mode", "json_schema"] },
  { key: "errors", label: "Error handling", fields: ["retry", "timeout_seconds", "continue_on_error"] },
  { key: "permissions", label: "Permissions", fields: ["allowed_roles", "approvers", "require_mfa"] },
];
const OTHER_TABS = new Set(TABS.flatMap((t) => t.fields));

/** The tabs a node type's schema has fields for, each with its property names. */
export function tabsOf(schema: Schema): { key: string; label: string; fields: string[] }[] {
  const names = Object.keys(schema.properties ?? {});
  return TABS.map((tab) => ({
    ...tab,
    fields: tab.key === "basic" ? names.filter((n) => !OTHER_TABS.has(n)) : tab.fields.filter((f) => names.includes(f)),
  })).filter((tab) => tab.fields.length > 0);
}

interface Props {
  nodeId: string;
  type: string;
  data: Record<string, unknown>;
  nodeType: NodeType | undefined;
  problems: Problem[];
  ctx: Omit<FieldContext, "root">;
  onChange: (nodeId: string, data: Record<string, unknown>, field: string) => void;
  onDelete: () => void;
}

/** The selected node's settings, in tabs generated from its type's JSON Schema (not re-rendered by a drag). */
export const Properties = memo(function Properties({ nodeId, type, data, nodeType, problems, ctx, onChange, onDelete }: Props) {
  const node = { id: nodeId, type, data };
  const schema = (nodeType?.schema ?? {}) as Schema;
  const tabs = tabsOf(schema);
  const [chosen, setChosen] = useState("basic");
  const tab = tabs.find((t) => t.key === chosen) ?? tabs[0];
  const required = new Set(schema.required ?? []);
  const set = (key: string, value: unknown) => {
    const next = { ...data };
    if (value === undefined) delete next[key];
    else next[key] = value;
    onChange(nodeId, next, key);
  };
  return (
    <div className="wf-properties" aria-label={`Properties of ${node.id}`}>
      <div className="row between">
        <h2>
          {nodeType?.label ?? node.type} <span className="muted small">{node.id}</span>
        </h2>
        {!ctx.readOnly && (
          <button type="button" className="danger" onClick={onDelete}>
            Delete
          </button>
        )}
      </div>
      {nodeType?.description && <p className="muted small">{helpOf({ description: nodeType.description })}</p>}
      {!nodeType && <div className="status error">Unknown node type “{node.type}”: the engine will refuse it.</div>}
      {problems.length > 0 && (
        <ul className="wf-problems" aria-label="Node problems">
          {problems.map((p, i) => (
            <li key={i} className={p.severity === "warning" ? "warn" : "error"}>
              {p.field ? <code>{p.field}</code> : null} {p.message}
            </li>
          ))}
        </ul>
      )}
      <div className="wf-tabs" role="tablist">
        {tabs.map((t) => (
          <button
            key={t.key}
            type="button"
            role="tab"
            aria-selected={t.key === tab?.key}
            className={t.key === tab?.key ? "tab on" : "tab"}
            onClick={() => setChosen(t.key)}
          >
            {t.label}
          </button>
        ))}
      </div>
      {tab && (
        <div role="tabpanel" aria-label={tab.label} className="wf-tabpanel">
          {tab.key === "errors" && (
            <p className="muted small">The fallback on failure is the node's “error” edge: connect its error handle on the canvas.</p>
          )}
          {tab.fields.map((name) => (
            <Field
              key={`${node.id}:${name}`}
              name={name}
              schema={schema.properties?.[name] ?? {}}
              value={node.data[name]}
              onChange={(v) => set(name, v)}
              ctx={{ ...ctx, root: schema }}
              required={required.has(name)}
            />
          ))}
        </div>
      )}
    </div>
  );
});
