// A form generated from a node type's JSON Schema (pydantic's model_json_schema): text, number,
// boolean, enum select, lists, nested objects, key / value maps, and JSON for free-form values.
// Only the schema's own properties are offered: the engine's configs refuse unknown keys.
import { useState } from "react";
import { RuleBuilder, type FieldOption } from "../rules/RuleBuilder";
import { TemplateInput } from "./TemplateInput";

export interface Schema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  $ref?: string;
  $defs?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  additionalProperties?: boolean | Schema;
}

export interface FieldContext {
  root: Schema;
  variables: string[];
  ruleFields: FieldOption[];
  operators: Record<string, string[]>;
  allOperators: string[];
  unary: string[];
  readOnly: boolean;
}

const MULTILINE = new Set(["prompt", "system", "text", "message", "description"]);
const RULE_FIELDS = new Set(["rules", "when"]);

/** `schema` with its `$ref` followed. */
export function resolve(schema: Schema, root: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split("/").pop() ?? "";
  return { ...(root.$defs?.[name] ?? {}), ...schema, $ref: undefined };
}

/** The non-null branches of an optional property, and whether null is allowed. */
export function concrete(schema: Schema, root: Schema): { schema: Schema; nullable: boolean } {
  const resolved = resolve(schema, root);
  if (!resolved.anyOf) return { schema: resolved, nullable: false };
  const branches = resolved.anyOf.filter((s) => s.type !== "null");
  const nullable = branches.length < resolved.anyOf.length;
  if (branches.length === 1) return { schema: { ...resolved, ...resolve(branches[0], root), anyOf: undefined }, nullable };
  return { schema: { ...resolved, anyOf: branches }, nullable };
}

export type Kind = "rules" | "select" | "boolean" | "number" | "text" | "checks" | "lines" | "objects" | "object" | "map" | "json" | "scalar";

/** Which widget edits a property. */
export function kindOf(name: string, schema: Schema, root: Schema): Kind {
  if (RULE_FIELDS.has(name)) return "rules";
  if (schema.enum) return "select";
  if (schema.anyOf) return schema.anyOf.every((s) => ["number", "integer", "string"].includes(String(s.type))) ? "scalar" : "json";
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "integer" || schema.type === "number") return "number";
  if (schema.type === "string") return "text";
  if (schema.type === "array") {
    const items = schema.items ? resolve(schema.items, root) : {};
    if (items.enum) return "checks";
    if (items.type === "string") return "lines";
    if (items.properties) return "objects";
    return "json";
  }
  if (schema.type === "object" || schema.properties) {
    if (schema.properties) return "object";
    const extra = schema.additionalProperties;
    if (typeof extra === "object" && extra.type === "string") return "map";
    return "json";
  }
  return "json";
}

/** A readable title for a property, from its name (`$ref` titles are class names). */
export function titleOf(name: string): string {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The first line of a docstring, without reStructuredText literals. */
export function helpOf(schema: Schema): string | undefined {
  return schema.description?.split("\n")[0].replace(/``/g, "");
}

interface FieldProps {
  name: string;
  schema: Schema;
  value: unknown;
  onChange: (value: unknown) => void;
  ctx: FieldContext;
  required?: boolean;
}

/** One property's label, widget and help. */
export function Field({ name, schema: raw, value, onChange, ctx, required }: FieldProps) {
  const { schema, nullable } = concrete(raw, ctx.root);
  const kind = kindOf(name, schema, ctx.root);
  const title = titleOf(name);
  const help = helpOf(schema);
  const widget = <Widget name={name} kind={kind} schema={schema} value={value} onChange={onChange} ctx={ctx} title={title} />;
  if (kind === "boolean") {
    return (
      <div className="wf-field">
        <label className="inline">
          {widget} {title}
        </label>
        {help && <span className="muted small">{help}</span>}
      </div>
    );
  }
  return (
    <div className="wf-field">
      <span className="wf-field-title">
        {title}
        {required && !nullable && <abbr title="required"> *</abbr>}
      </span>
      {widget}
      {help && <span className="muted small">{help}</span>}
    </div>
  );
}

interface WidgetProps extends FieldProps {
  kind: Kind;
  title: string;
}

const placeholderOf = (schema: Schema) =>
  schema.default === undefined || schema.default === null ? "" : typeof schema.default === "object" ? JSON.stringify(schema.default) : String(schema.default);

function Widget({ name, kind, schema, value, onChange, ctx, title }: WidgetProps) {
  const ro = ctx.readOnly;
  switch (kind) {
    case "rules":
      return (
        <RuleBuilder
          value={(value as Record<string, unknown> | null) ?? null}
          onChange={onChange}
          fields={ctx.ruleFields}
          operators={ctx.operators}
          allOperators={ctx.allOperators}
          unary={ctx.unary}
          readOnly={ro}
          label={title}
        />
      );
    case "select":
      return (
        <select aria-label={title} value={value === undefined || value === null ? "" : String(value)} disabled={ro} onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}>
          <option value="">{schema.default !== undefined ? `default (${String(schema.default)})` : "—"}</option>
          {(schema.enum ?? []).map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </select>
      );
    case "boolean":
      return (
        <input type="checkbox" aria-label={title} checked={value === undefined ? schema.default === true : value === true} disabled={ro} onChange={(e) => onChange(e.target.checked)} />
      );
    case "number":
      return (
        <input
          type="number"
          aria-label={title}
          value={typeof value === "number" ? value : ""}
          placeholder={placeholderOf(schema)}
          min={schema.minimum}
          max={schema.maximum}
          step={schema.type === "integer" ? 1 : "any"}
          readOnly={ro}
          onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        />
      );
    case "scalar":
      return (
        <input
          aria-label={title}
          value={value === undefined || value === null ? "" : String(value)}
          placeholder={placeholderOf(schema)}
          readOnly={ro}
          onChange={(e) => {
            const text = e.target.value;
            onChange(text === "" ? undefined : text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text);
          }}
        />
      );
    case "text":
      return (
        <TemplateInput
          label={title}
          value={typeof value === "string" ? value : ""}
          placeholder={placeholderOf(schema)}
          multiline={MULTILINE.has(name)}
          variables={ctx.variables}
          readOnly={ro}
          onChange={(text) => onChange(text === "" ? undefined : text)}
        />
      );
    case "checks": {
      const items = resolve(schema.items ?? {}, ctx.root);
      const chosen = Array.isArray(value) ? value : Array.isArray(schema.default) ? schema.default : [];
      return (
        <span className="row flow" role="group" aria-label={title}>
          {(items.enum ?? []).map((option) => (
            <label key={String(option)} className="inline small">
              <input
                type="checkbox"
                checked={chosen.includes(option)}
                disabled={ro}
                onChange={(e) => onChange(e.target.checked ? [...chosen, option] : chosen.filter((c) => c !== option))}
              />
              {String(option)}
            </label>
          ))}
        </span>
      );
    }
    case "lines":
      return (
        <textarea
          aria-label={title}
          rows={3}
          placeholder="one per line"
          value={Array.isArray(value) ? value.join("\n") : ""}
          readOnly={ro}
          onChange={(e) => {
            const lines = e.target.value.split("\n").map((s) => s.trim());
            onChange(lines.some(Boolean) ? lines.filter(Boolean) : undefined);
          }}
        />
      );
    case "objects":
      return <ObjectList schema={schema} value={value} onChange={onChange} ctx={ctx} title={title} />;
    case "object":
      return <ObjectFields schema={schema} value={value} onChange={onChange} ctx={ctx} title={title} />;
    case "map":
      return <MapEditor value={value} onChange={onChange} ctx={ctx} title={title} />;
    default:
      return <JsonValue value={value} onChange={onChange} readOnly={ro} title={title} />;
  }
}

/** Every property of an object schema (nested objects edited in place). */
export function ObjectFields({ schema, value, onChange, ctx, title }: { schema: Schema; value: unknown; onChange: (v: unknown) => void; ctx: FieldContext; title: string }) {
  const data = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
  const required = new Set(schema.required ?? []);
  const set = (key: string, v: unknown) => {
    const next = { ...data };
    if (v === undefined) delete next[key];
    else next[key] = v;
    onChange(Object.keys(next).length ? next : undefined);
  };
  return (
    <fieldset className="wf-object" aria-label={title}>
      {Object.entries(schema.properties ?? {}).map(([key, prop]) => (
        <Field key={key} name={key} schema={prop} value={data[key]} onChange={(v) => set(key, v)} ctx={ctx} required={required.has(key)} />
      ))}
    </fieldset>
  );
}

function ObjectList({ schema, value, onChange, ctx, title }: { schema: Schema; value: unknown; onChange: (v: unknown) => void; ctx: FieldContext; title: string }) {
  const items = Array.isArray(value) ? (value as unknown[]) : [];
  const itemSchema = resolve(schema.items ?? {}, ctx.root);
  const set = (index: number, v: unknown) => onChange(items.map((item, i) => (i === index ? (v ?? {}) : item)));
  return (
    <div className="wf-list" role="group" aria-label={title}>
      {items.map((item, index) => (
        <div key={index} className="wf-list-item">
          <ObjectFields schema={itemSchema} value={item} onChange={(v) => set(index, v)} ctx={ctx} title={`${title} ${index + 1}`} />
          {!ctx.readOnly && (
            <button type="button" className="link" onClick={() => onChange(items.filter((_, i) => i !== index))}>
              Remove
            </button>
          )}
        </div>
      ))}
      {!ctx.readOnly && (
        <button type="button" className="secondary" onClick={() => onChange([...items, {}])}>
          + Add
        </button>
      )}
    </div>
  );
}

function MapEditor({ value, onChange, ctx, title }: { value: unknown; onChange: (v: unknown) => void; ctx: FieldContext; title: string }) {
  const entries = Object.entries((value && typeof value === "object" ? value : {}) as Record<string, string>);
  const write = (next: [string, string][]) => onChange(next.length ? Object.fromEntries(next) : undefined);
  return (
    <div className="wf-map" role="group" aria-label={title}>
      {entries.map(([key, v], index) => (
        <div key={index} className="row">
          <input
            aria-label={`${title} name`}
            value={key}
            readOnly={ctx.readOnly}
            onChange={(e) => write(entries.map((pair, i) => (i === index ? [e.target.value, pair[1]] : pair)))}
          />
          <TemplateInput
            label={`${title} value`}
            value={String(v ?? "")}
            variables={ctx.variables}
            readOnly={ctx.readOnly}
            onChange={(text) => write(entries.map((pair, i) => (i === index ? [pair[0], text] : pair)))}
          />
          {!ctx.readOnly && (
            <button type="button" className="link" onClick={() => write(entries.filter((_, i) => i !== index))}>
              ✕
            </button>
          )}
        </div>
      ))}
      {!ctx.readOnly && (
        <button type="button" className="secondary" onClick={() => write([...entries, [`name${entries.length + 1}`, ""]])}>
          + Add
        </button>
      )}
    </div>
  );
}

/** A free-form value: JSON when it parses, else the text itself. */
export function JsonValue({ value, onChange, readOnly, title }: { value: unknown; onChange: (v: unknown) => void; readOnly: boolean; title: string }) {
  const shown = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value, null, 1);
  const [text, setText] = useState(shown);
  const [last, setLast] = useState(value);
  if (value !== last) {
    setLast(value);
    setText(shown);
  }
  return (
    <textarea
      aria-label={title}
      rows={2}
      spellCheck={false}
      placeholder="JSON or text"
      value={text}
      readOnly={readOnly}
      onChange={(e) => {
        const next = e.target.value;
        setText(next);
        let parsed: unknown = next;
        if (next.trim() === "") parsed = undefined;
        else {
          try {
            parsed = JSON.parse(next);
          } catch {
            parsed = next;
          }
        }
        setLast(parsed);
        onChange(parsed);
      }}
    />
  );
}
