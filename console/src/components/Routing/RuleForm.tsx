import { useState, type FormEvent } from "react";
import type { Schemas } from "../../api/client";
import { RuleBuilder, type FieldOption } from "../../workflows/rules/RuleBuilder";
import { ErrorBox } from "../Status";
import { parseParams, showParams } from "./params";

export type Rule = Schemas["RulePublic"];
export type RuleBody = Schemas["RuleIn"];
type Handler = Schemas["HandlerInfo"];
type Catalog = Schemas["Catalog"];

/** What the form starts from: a saved rule, or a new one. */
export interface RuleDraft {
  name: string;
  priority: number;
  enabled: boolean;
  handler: string;
  conditions: Record<string, unknown>;
  params: Record<string, unknown>;
}

export const NEW_RULE: RuleDraft = {
  name: "",
  priority: 100,
  enabled: true,
  handler: "",
  conditions: { logical: "AND", conditions: [] },
  params: {},
};

interface Props {
  initial: RuleDraft;
  handlers: Handler[];
  catalog: Catalog;
  fields: FieldOption[];
  label: string;
  pending: boolean;
  error: unknown;
  onSubmit: (body: RuleBody) => void;
  onCancel: () => void;
}

/** A routing rule's name, priority, handler, conditions (the rule builder) and params. */
export function RuleForm({ initial, handlers, catalog, fields, label, pending, error, onSubmit, onCancel }: Props) {
  const [name, setName] = useState(initial.name);
  const [priority, setPriority] = useState(String(initial.priority));
  const [enabled, setEnabled] = useState(initial.enabled);
  const [handler, setHandler] = useState(initial.handler);
  const [conditions, setConditions] = useState(initial.conditions);
  const [params, setParams] = useState(showParams(initial.params));
  const [paramsError, setParamsError] = useState<string | null>(null);
  const chosen = handlers.find((h) => h.name === handler);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseParams(params);
    if ("error" in parsed) {
      setParamsError(parsed.error);
      return;
    }
    setParamsError(null);
    onSubmit({
      name: name.trim(),
      priority: Number(priority),
      enabled,
      handler,
      conditions: conditions as RuleBody["conditions"],
      params: parsed.params,
    });
  };
  return (
    <form className="card form routing-form" onSubmit={submit} aria-label={label}>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
      </label>
      <label>
        Priority (lowest is tried first)
        <input type="number" min={0} max={1000000} value={priority} onChange={(e) => setPriority(e.target.value)} required />
      </label>
      <label>
        Handler
        <select value={handler} onChange={(e) => setHandler(e.target.value)} required>
          <option value="">Choose a handler…</option>
          {handlers.map((h) => (
            <option key={h.name} value={h.name}>
              {h.name}
            </option>
          ))}
        </select>
        {chosen && <span className="muted small">{chosen.description}</span>}
      </label>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
      </label>
      <RuleBuilder
        label="Conditions"
        value={conditions}
        onChange={setConditions}
        fields={fields}
        operators={catalog.operators}
        allOperators={catalog.all_operators}
        unary={catalog.unary_operators}
      />
      <label>
        Parameters (JSON object, optional)
        <textarea
          className="mono"
          rows={3}
          spellCheck={false}
          placeholder='{"text": "A specialist will take it from here."}'
          value={params}
          onChange={(e) => {
            setParams(e.target.value);
            setParamsError(null);
          }}
        />
      </label>
      {paramsError ? (
        <div className="status error" role="alert">
          {paramsError}
        </div>
      ) : (
        error !== null && error !== undefined && <ErrorBox error={error} />
      )}
      <div className="row">
        <button type="submit" disabled={pending}>
          {label}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
