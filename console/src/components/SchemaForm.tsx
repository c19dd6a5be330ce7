import { useState, type FormEvent, type ReactNode } from "react";

/** The subset of JSON Schema the vault's credential types use. */
export interface JsonSchema {
  type?: string;
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
  format?: string;
  enum?: unknown[];
  writeOnly?: boolean;
  minLength?: number;
  maxLength?: number;
}

export type FieldKind = "text" | "secret" | "number" | "boolean" | "list" | "select" | "multiline";

export interface Field {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  options: string[];
  initial: string | boolean;
}

const SECRET_NAME = /(secret|password|passphrase|token|key|^url)$/i;
const MULTILINE_NAME = /(pem|certificate|private_key|chain)$/i;

/** The non-null branch of an optional (``anyOf [X, null]``) property. */
function concrete(schema: JsonSchema): JsonSchema {
  const branch = schema.anyOf?.find((s) => s.type !== "null");
  return branch ? { ...schema, ...branch, anyOf: undefined } : schema;
}

function kindOf(name: string, schema: JsonSchema): FieldKind {
  if (schema.enum) return "select";
  if (schema.type === "boolean") return "boolean";
  if (schema.type === "integer" || schema.type === "number") return "number";
  if (schema.type === "array") return "list";
  if (MULTILINE_NAME.test(name)) return "multiline";
  if (schema.writeOnly || schema.format === "password" || SECRET_NAME.test(name)) return "secret";
  return "text";
}

/** One form field per property of an object schema; secrets become password inputs. */
export function schemaFields(schema: JsonSchema): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, raw]) => {
    const prop = concrete(raw);
    const kind = kindOf(name, prop);
    const fallback = kind === "boolean" ? false : "";
    const initial =
      prop.default === undefined || prop.default === null
        ? fallback
        : kind === "boolean"
          ? Boolean(prop.default)
          : Array.isArray(prop.default)
            ? prop.default.join(", ")
            : String(prop.default);
    return {
      name,
      label: prop.title ?? name,
      kind,
      required: required.has(name),
      options: (prop.enum ?? []).map(String),
      initial,
    };
  });
}

type Values = Record<string, string | boolean>;

/** The JSON value of a filled form: empty optional fields left out, numbers and lists parsed. */
export function formValue(fields: Field[], values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (field.kind === "boolean") {
      out[field.name] = Boolean(value);
      continue;
    }
    const text = String(value ?? "");
    if (text.trim() === "") continue;
    if (field.kind === "number") out[field.name] = Number(text);
    else if (field.kind === "list")
      out[field.name] = text
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else out[field.name] = field.kind === "secret" || field.kind === "multiline" ? text : text.trim();
  }
  return out;
}

/** A form rendered from a JSON Schema's properties; it submits the value as JSON. */
export function SchemaForm({
  schema,
  label,
  pending,
  onSubmit,
  children,
}: {
  schema: JsonSchema;
  label: string;
  pending?: boolean;
  onSubmit: (value: Record<string, unknown>) => void;
  children?: ReactNode;
}) {
  const fields = schemaFields(schema);
  const [values, setValues] = useState<Values>(() => Object.fromEntries(fields.map((f) => [f.name, f.initial])));
  const set = (name: string, value: string | boolean) => setValues((v) => ({ ...v, [name]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(formValue(fields, values));
  };
  return (
    <form className="form" onSubmit={submit} aria-label={label}>
      {schema.description && <p className="muted small">{schema.description}</p>}
      {children}
      {fields.map((field) => (
        <label key={field.name} className={field.kind === "boolean" ? "check" : undefined}>
          <span>
            {field.label}
            {field.required && <span aria-hidden="true"> *</span>}
            {field.kind === "list" && <small className="muted"> (comma-separated)</small>}
          </span>
          {field.kind === "boolean" ? (
            <input
              type="checkbox"
              name={field.name}
              checked={Boolean(values[field.name])}
              onChange={(e) => set(field.name, e.target.checked)}
            />
          ) : field.kind === "select" ? (
            <select name={field.name} value={String(values[field.name])} onChange={(e) => set(field.name, e.target.value)}>
              {!field.required && <option value="">—</option>}
              {field.options.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          ) : field.kind === "multiline" ? (
            <textarea
              name={field.name}
              rows={4}
              required={field.required}
              autoComplete="off"
              spellCheck={false}
              value={String(values[field.name])}
              onChange={(e) => set(field.name, e.target.value)}
            />
          ) : (
            <input
              name={field.name}
              type={field.kind === "secret" ? "password" : field.kind === "number" ? "number" : "text"}
              autoComplete={field.kind === "secret" ? "new-password" : "off"}
              required={field.required}
              value={String(values[field.name])}
              onChange={(e) => set(field.name, e.target.value)}
            />
          )}
        </label>
      ))}
      <div className="row">
        <button type="submit" disabled={pending}>
          {label}
        </button>
      </div>
    </form>
  );
}
