import { useState } from "react";
import { post, type Schemas } from "../../api/client";
import { CopyField } from "../../components/Copy";
import { ErrorBox } from "../../components/Status";
import { RuleBuilder, type FieldOption } from "../rules/RuleBuilder";
import { typeOfSample } from "../rules/model";
import type { Catalog, Definition, Trigger } from "../nodes";
import { JsonValue } from "./Fields";

interface Props {
  /** The saved workflow's id (the webhook URL and its secret belong to it). */
  workflowId?: string;
  definition: Definition;
  catalog: Catalog;
  readOnly: boolean;
  onChange: (change: Partial<Definition>, field: string) => void;
}

const ZONES = (() => {
  const intl = Intl as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : ["UTC"];
})();

/** The payload fields of an event type, as rule-builder fields (`trigger.<name>`). */
export function eventFields(catalog: Catalog, event: string | null | undefined): FieldOption[] {
  const found = catalog.events.find((e) => e.type === event);
  return (found?.fields ?? []).map((f) => ({ path: `trigger.${f.name}`, type: f.type, source: event ?? "event" }));
}

/** The workflow-level settings shown when no node is selected: triggers, variables, limits. */
export function WorkflowSettings({ workflowId, definition, catalog, readOnly, onChange }: Props) {
  const triggers = definition.triggers;
  const setTrigger = (index: number, trigger: Trigger | null) => {
    const next = trigger === null ? triggers.filter((_, i) => i !== index) : triggers.map((t, i) => (i === index ? trigger : t));
    onChange({ triggers: next }, `trigger:${index}`);
  };
  return (
    <div className="wf-properties" aria-label="Workflow settings">
      <h2>Workflow</h2>
      <p className="muted small">Select a node to edit it. These settings apply to the whole workflow.</p>
      <h3>Triggers</h3>
      {triggers.length === 0 && <p className="muted small">No trigger: runs start only through the API.</p>}
      {triggers.map((trigger, index) => (
        <TriggerEditor
          key={index}
          workflowId={workflowId}
          trigger={trigger}
          catalog={catalog}
          readOnly={readOnly}
          onChange={(t) => setTrigger(index, t)}
        />
      ))}
      {!readOnly && (
        <button
          type="button"
          className="secondary"
          onClick={() => onChange({ triggers: [...triggers, { type: "event", event: "message.received" }] }, "triggers")}
        >
          + Trigger
        </button>
      )}
      <h3>Variables</h3>
      <Variables value={definition.variables} readOnly={readOnly} onChange={(variables) => onChange({ variables }, "variables")} />
      <h3>Limits</h3>
      <label className="wf-field">
        <span className="wf-field-title">Max steps per run</span>
        <input
          type="number"
          min={1}
          max={100000}
          aria-label="Max steps"
          placeholder="1000"
          value={definition.settings.max_steps ?? ""}
          readOnly={readOnly}
          onChange={(e) => {
            const settings = { ...definition.settings };
            if (e.target.value === "") delete settings.max_steps;
            else settings.max_steps = Number(e.target.value);
            onChange({ settings }, "max_steps");
          }}
        />
      </label>
    </div>
  );
}

interface TriggerProps {
  workflowId?: string;
  trigger: Trigger;
  catalog: Catalog;
  readOnly: boolean;
  onChange: (t: Trigger | null) => void;
}

function TriggerEditor({ workflowId, trigger, catalog, readOnly, onChange }: TriggerProps) {
  const kind = catalog.triggers.find((k) => k.type === trigger.type);
  const known = catalog.events.some((e) => e.type === trigger.event);
  const custom = !known && trigger.type === "event";
  const [filter, setFilter] = useState(Boolean(trigger.when));
  return (
    <fieldset className="wf-trigger" aria-label={`Trigger ${trigger.type}`}>
      <div className="row between">
        <select
          aria-label="Trigger type"
          value={trigger.type}
          disabled={readOnly}
          onChange={(e) => {
            const type = e.target.value as Trigger["type"];
            onChange(type === "event" ? { type, event: "message.received" } : type === "cron" ? { type, cron: "0 9 * * 1-5", timezone: "UTC" } : { type });
          }}
        >
          {catalog.triggers.map((k) => (
            <option key={k.type} value={k.type}>
              {k.label}
            </option>
          ))}
        </select>
        {!readOnly && (
          <button type="button" className="link" onClick={() => onChange(null)}>
            Remove
          </button>
        )}
      </div>
      {kind && <p className="muted small">{kind.description}</p>}
      {trigger.type === "event" && (
        <>
          <label className="wf-field">
            <span className="wf-field-title">Event</span>
            <select
              aria-label="Event type"
              value={custom ? "custom.*" : (trigger.event ?? "")}
              disabled={readOnly}
              onChange={(e) => onChange({ ...trigger, event: e.target.value === "custom.*" ? "custom.my_event" : e.target.value })}
            >
              {catalog.events.map((ev) => (
                <option key={ev.type} value={ev.type} title={ev.description}>
                  {ev.type}
                </option>
              ))}
            </select>
          </label>
          {custom && (
            <label className="wf-field">
              <span className="wf-field-title">Custom event name</span>
              <input aria-label="Custom event" value={trigger.event ?? ""} readOnly={readOnly} onChange={(e) => onChange({ ...trigger, event: e.target.value })} />
            </label>
          )}
          <label className="inline small">
            <input
              type="checkbox"
              checked={filter}
              disabled={readOnly}
              onChange={(e) => {
                setFilter(e.target.checked);
                if (!e.target.checked) {
                  const { when: _drop, ...rest } = trigger;
                  void _drop;
                  onChange(rest);
                }
              }}
            />
            Only when the payload matches
          </label>
          {filter && (
            <RuleBuilder
              label="Filter"
              value={trigger.when ?? null}
              onChange={(when) => onChange({ ...trigger, when })}
              fields={eventFields(catalog, trigger.event)}
              operators={catalog.operators}
              allOperators={catalog.all_operators}
              unary={catalog.unary_operators}
              readOnly={readOnly}
            />
          )}
        </>
      )}
      {trigger.type === "webhook" && workflowId && <WebhookSecret workflowId={workflowId} readOnly={readOnly} />}
      {trigger.type === "cron" && (
        <div className="row flow">
          <label className="wf-field">
            <span className="wf-field-title">Cron expression</span>
            <input aria-label="Cron" value={trigger.cron ?? ""} placeholder="0 9 * * 1-5" readOnly={readOnly} onChange={(e) => onChange({ ...trigger, cron: e.target.value })} />
          </label>
          <label className="wf-field">
            <span className="wf-field-title">Time zone</span>
            <select aria-label="Time zone" value={trigger.timezone ?? "UTC"} disabled={readOnly} onChange={(e) => onChange({ ...trigger, timezone: e.target.value })}>
              {(ZONES.includes("UTC") ? ZONES : ["UTC", ...ZONES]).map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
    </fieldset>
  );
}

function Variables({ value, readOnly, onChange }: { value: Record<string, unknown>; readOnly: boolean; onChange: (v: Record<string, unknown>) => void }) {
  const entries = Object.entries(value);
  const write = (next: [string, unknown][]) => onChange(Object.fromEntries(next));
  return (
    <div className="wf-map" role="group" aria-label="Variables">
      {entries.map(([name, v], index) => (
        <div key={index} className="row">
          <input aria-label="Variable name" value={name} readOnly={readOnly} onChange={(e) => write(entries.map((p, i) => (i === index ? [e.target.value, p[1]] : p)))} />
          <JsonValue title="Initial value" value={v} readOnly={readOnly} onChange={(nv) => write(entries.map((p, i) => (i === index ? [p[0], nv ?? ""] : p)))} />
          <span className="muted small">{typeOfSample(v)}</span>
          {!readOnly && (
            <button type="button" className="link" onClick={() => write(entries.filter((_, i) => i !== index))}>
              ✕
            </button>
          )}
        </div>
      ))}
      {!readOnly && (
        <button type="button" className="secondary" onClick={() => write([...entries, [`var${entries.length + 1}`, ""]])}>
          + Variable
        </button>
      )}
    </div>
  );
}

/** The webhook's URL and a new signing secret, shown once (a new one replaces the old). */
export function WebhookSecret({ workflowId, readOnly }: { workflowId: string; readOnly: boolean }) {
  const [issued, setIssued] = useState<Schemas["WebhookSecret"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const issue = () => {
    if (!window.confirm("A new secret replaces the current one: callers using it will be refused. Continue?")) return;
    setError(null);
    post<Schemas["WebhookSecret"]>(`/workflows/${workflowId}/webhook-secret`).then(setIssued, setError);
  };
  return (
    <div className="wf-webhook" aria-label="Webhook">
      <p className="muted small">
        Callers POST a JSON object to the URL, signed with <code>X-Frontdesk-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex
        HMAC-SHA256(secret, "t." + body)&gt;</code>. The trigger works once a version with it is active.
      </p>
      {issued && (
        <>
          <CopyField label="URL" value={issued.url} />
          <CopyField label="Secret" value={issued.secret} />
          <p className="muted small">The secret is shown only now; keep it with the caller.</p>
        </>
      )}
      {error !== null && <ErrorBox error={error} />}
      {!readOnly && (
        <button type="button" className="secondary" onClick={issue}>
          {issued ? "Issue another secret" : "Show URL and issue a secret"}
        </button>
      )}
    </div>
  );
}
