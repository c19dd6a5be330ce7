import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import {
  api,
  get,
  post,
  type AuditEntry,
  type Credential,
  type CredentialTest,
  type CredentialUsage,
  type Revoked,
} from "../api/client";
import { useCan } from "../auth";
import { SchemaForm, type JsonSchema } from "../components/SchemaForm";
import { Empty, ErrorBox, Loading } from "../components/Status";

interface VaultTypes {
  types: string[];
  schemas: Record<string, JsonSchema>;
}

const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "—");

function useVaultTypes() {
  return useQuery({ queryKey: ["vault-types"], queryFn: () => get<VaultTypes>("/vault/types") });
}

/** The value form of a type: rendered from its JSON Schema, or raw JSON for a custom credential. */
function ValueForm({
  type,
  schema,
  label,
  pending,
  onSubmit,
  children,
}: {
  type: string;
  schema: JsonSchema;
  label: string;
  pending: boolean;
  onSubmit: (value: Record<string, unknown>) => void;
  children?: ReactNode;
}) {
  const [raw, setRaw] = useState("{}");
  const [bad, setBad] = useState<string | null>(null);
  if (type !== "custom" || Object.keys(schema.properties ?? {}).length > 0) {
    return (
      <SchemaForm key={type} schema={schema} label={label} pending={pending} onSubmit={onSubmit}>
        {children}
      </SchemaForm>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
      setBad(null);
      onSubmit(value as Record<string, unknown>);
    } catch {
      setBad("The value must be a JSON object.");
    }
  };
  return (
    <form className="form" onSubmit={submit} aria-label={label}>
      {children}
      <label>
        Value (JSON object)
        <textarea name="value" rows={5} spellCheck={false} value={raw} onChange={(e) => setRaw(e.target.value)} />
      </label>
      {bad && <div className="status error">{bad}</div>}
      <div className="row">
        <button type="submit" disabled={pending}>
          {label}
        </button>
      </div>
    </form>
  );
}

/** Step 1 picks the type, step 2 names the credential and fills its value. */
function CreateWizard({ types, onDone }: { types: VaultTypes; onDone: () => void }) {
  const [type, setType] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [rotation, setRotation] = useState("");
  const [expires, setExpires] = useState("");
  const create = useMutation({
    mutationFn: (value: Record<string, unknown>) =>
      post<Credential>("/vault/credentials", {
        name: name.trim(),
        type,
        description: description.trim(),
        value,
        rotation_days: rotation ? Number(rotation) : null,
        expires_at: expires ? new Date(expires).toISOString() : null,
      }),
    onSuccess: onDone,
  });
  if (!type) {
    return (
      <div className="card" aria-label="Choose a credential type">
        <h2>New credential: choose its type</h2>
        <div className="row flow">
          {types.types.map((t) => (
            <button key={t} type="button" className="secondary" onClick={() => setType(t)}>
              {t}
            </button>
          ))}
          <button type="button" className="link" onClick={onDone}>
            Cancel
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="card">
      <h2>New {type} credential</h2>
      <ValueForm type={type} schema={types.schemas[type] ?? {}} label="Create credential" pending={create.isPending} onSubmit={(v) => create.mutate(v)}>
        <label>
          Name *
          <input name="credential-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Description
          <input name="description" maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <div className="row flow">
          <label>
            Rotate every (days)
            <input name="rotation_days" type="number" min={1} max={3650} value={rotation} onChange={(e) => setRotation(e.target.value)} />
          </label>
          <label>
            Expires
            <input name="expires_at" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </label>
        </div>
      </ValueForm>
      {create.error && <ErrorBox error={create.error} />}
      <button type="button" className="link" onClick={() => setType(null)}>
        ← Other type
      </button>
    </div>
  );
}

function Rotate({ credential, schema, onDone }: { credential: Credential; schema: JsonSchema; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const rotate = useMutation({
    mutationFn: (value: Record<string, unknown>) =>
      post<Credential>(`/vault/credentials/${credential.id}/rotate`, { value, reason: reason.trim() }),
    onSuccess: onDone,
  });
  return (
    <div className="card">
      <h3>Rotate {credential.name}</h3>
      <ValueForm type={credential.type} schema={schema} label="Rotate" pending={rotate.isPending} onSubmit={(v) => rotate.mutate(v)}>
        <label>
          Reason *
          <input name="reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
      </ValueForm>
      {rotate.error && <ErrorBox error={rotate.error} />}
    </div>
  );
}

function Dependents({ usage }: { usage: CredentialUsage }) {
  if (usage.references.length === 0) return <p className="muted small">Nothing references this credential.</p>;
  return (
    <ul className="small">
      {usage.references.map((r) => (
        <li key={`${r.kind}:${r.ref_id}`}>
          {r.kind} <code>{r.ref_id}</code> · {r.use_count} uses{r.flagged_at ? ` · flagged: ${r.flag_reason ?? ""}` : ""}
        </li>
      ))}
    </ul>
  );
}

function CredentialRow({ credential, schema, onChange }: { credential: Credential; schema: JsonSchema; onChange: () => void }) {
  const [panel, setPanel] = useState<"rotate" | "usage" | null>(null);
  const path = `/vault/credentials/${credential.id}`;
  const usage = useQuery({
    queryKey: ["vault-usage", credential.id],
    queryFn: () => get<CredentialUsage>(`${path}/usage`),
    enabled: panel === "usage",
  });
  const test = useMutation({ mutationFn: () => post<CredentialTest>(`${path}/test`) });
  const revoke = useMutation({
    mutationFn: (reason: string) => post<Revoked>(`${path}/revoke`, { reason }),
    onSuccess: onChange,
  });
  const remove = useMutation({
    mutationFn: async () => {
      const found = await get<CredentialUsage>(`${path}/usage`);
      const names = found.references.map((r) => `${r.kind} ${r.ref_id}`).join(", ");
      const question = names
        ? `"${credential.name}" is used by: ${names}. Delete it anyway?`
        : `Delete the credential "${credential.name}"?`;
      if (!window.confirm(question)) return false;
      await api<void>("DELETE", path, undefined, names ? { force: true } : undefined);
      return true;
    },
    onSuccess: (deleted) => deleted && onChange(),
  });
  const askRevoke = () => {
    const reason = window.prompt(`Revoke "${credential.name}"? It can no longer be used. Reason:`);
    if (reason && reason.trim()) revoke.mutate(reason.trim());
  };
  const revoked = credential.status === "revoked";
  return (
    <li className="card" data-testid="credential">
      <div className="row between flow">
        <strong>{credential.name}</strong>
        <span className="row flow">
          <span className="badge">{credential.type}</span>
          <span className={revoked ? "badge s-waiting" : "badge s-bot"}>{credential.status}</span>
          <span className="badge">v{credential.version}</span>
          {credential.expires_soon && <span className="badge s-waiting">expires soon</span>}
          {credential.rotation_due && <span className="badge s-waiting">rotation due</span>}
        </span>
      </div>
      {credential.description && <p className="muted small">{credential.description}</p>}
      <dl className="masked small" data-testid="masked">
        {Object.entries(credential.masked).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <code>{v === null ? "—" : typeof v === "string" ? v : JSON.stringify(v)}</code>
            </dd>
          </div>
        ))}
      </dl>
      <p className="muted small">
        {credential.use_count} uses · last used {when(credential.last_used_at)} · expires {when(credential.expires_at)}
        {credential.rotation_days ? ` · rotate every ${credential.rotation_days} days` : ""}
      </p>
      <div className="row flow">
        <button type="button" className="secondary" disabled={test.isPending || revoked} onClick={() => test.mutate()}>
          Test
        </button>
        <button type="button" className="secondary" disabled={revoked} onClick={() => setPanel(panel === "rotate" ? null : "rotate")}>
          Rotate
        </button>
        <button type="button" className="secondary" onClick={() => setPanel(panel === "usage" ? null : "usage")}>
          Usage
        </button>
        {!revoked && (
          <button type="button" className="danger" onClick={askRevoke}>
            Revoke
          </button>
        )}
        <button type="button" className="danger" onClick={() => remove.mutate()}>
          Delete
        </button>
      </div>
      {test.data && (
        <div className={test.data.ok ? "status" : "status error"} role="status">
          {test.data.ok ? "OK" : "Failed"}: {test.data.detail}
        </div>
      )}
      {revoke.data && (
        <div className="status" role="status">
          Revoked. Flagged dependents: {revoke.data.dependents.length}
          <Dependents usage={{ credential_id: credential.id, use_count: 0, last_used_at: null, references: revoke.data.dependents }} />
        </div>
      )}
      {[test.error, revoke.error, remove.error].map((e, i) => e && <ErrorBox key={i} error={e} />)}
      {panel === "rotate" && (
        <Rotate
          credential={credential}
          schema={schema}
          onDone={() => {
            setPanel(null);
            onChange();
          }}
        />
      )}
      {panel === "usage" && (usage.isPending ? <Loading /> : usage.error ? <ErrorBox error={usage.error} /> : usage.data && <Dependents usage={usage.data} />)}
    </li>
  );
}

/** The vault's audit trail, newest first, with CSV / JSON lines exports of the same filter. */
function AuditLog({ credentials }: { credentials: Credential[] }) {
  const [credentialId, setCredentialId] = useState("");
  const log = useQuery({
    queryKey: ["vault-audit", credentialId],
    queryFn: () => get<AuditEntry[]>("/vault/audit", { credential_id: credentialId, limit: 200 }),
  });
  const names = new Map(credentials.map((c) => [c.id, c.name]));
  const exportUrl = (format: string) => {
    const query = new URLSearchParams({ format });
    if (credentialId) query.set("credential_id", credentialId);
    return `/api/v1/vault/audit/export?${query}`;
  };
  return (
    <section className="panel" aria-label="Audit log">
      <div className="row between flow">
        <h2>Audit log</h2>
        <div className="row flow">
          <select aria-label="Credential" value={credentialId} onChange={(e) => setCredentialId(e.target.value)}>
            <option value="">All credentials</option>
            {credentials.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          <a href={exportUrl("csv")} download>
            Export CSV
          </a>
          <a href={exportUrl("jsonl")} download>
            Export JSON lines
          </a>
        </div>
      </div>
      {log.isPending && <Loading />}
      {log.error && <ErrorBox error={log.error} retry={() => void log.refetch()} />}
      {log.data?.length === 0 && <Empty>No audit entries.</Empty>}
      {log.data && log.data.length > 0 && (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Credential</th>
                <th>Action</th>
                <th>Outcome</th>
                <th>Actor</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {log.data.map((row) => (
                <tr key={row.id} data-testid="audit-row">
                  <td>{when(row.at)}</td>
                  <td>{row.credential_id ? (names.get(row.credential_id) ?? row.credential_id) : "—"}</td>
                  <td>{row.action}</td>
                  <td>{row.outcome}</td>
                  <td>
                    {row.actor}
                    {row.service ? ` (${row.service})` : ""}
                  </td>
                  <td>{row.reason ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Credentials: list with expiry warnings, create per type, test, rotate, revoke, delete; the audit log. */
export default function Vault() {
  const canAudit = useCan("vault:audit");
  const client = useQueryClient();
  const [adding, setAdding] = useState(false);
  const types = useVaultTypes();
  const list = useQuery({ queryKey: ["vault"], queryFn: () => get<Credential[]>("/vault/credentials") });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ["vault"] });
    void client.invalidateQueries({ queryKey: ["vault-audit"] });
  };
  return (
    <section>
      <div className="row between">
        <h1>Vault</h1>
        {!adding && types.data && <button onClick={() => setAdding(true)}>New credential</button>}
      </div>
      {types.error && <ErrorBox error={types.error} retry={() => void types.refetch()} />}
      {adding && types.data && (
        <CreateWizard
          types={types.data}
          onDone={() => {
            setAdding(false);
            refresh();
          }}
        />
      )}
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} retry={() => void list.refetch()} />}
      {list.data?.length === 0 && <Empty>No credentials yet.</Empty>}
      <ul className="faq">
        {list.data?.map((c) => (
          <CredentialRow key={c.id} credential={c} schema={types.data?.schemas[c.type] ?? {}} onChange={refresh} />
        ))}
      </ul>
      {canAudit && list.data && <AuditLog credentials={list.data} />}
    </section>
  );
}
