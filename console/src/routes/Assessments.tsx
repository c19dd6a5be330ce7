import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { ApiError, get, patch, post, put, type FieldError, type Schemas } from "../api/client";
import { useCan } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";

type Summary = Schemas["AssessmentSummary"];
type Assessment = Schemas["AssessmentPublic"];
type Version = Schemas["AssessmentVersionPublic"];
type Result = Schemas["AssessmentResultPublic"];

const SHAPE = '{"key": "…", "title": "…", "questions": [{"id": "…", "text": "…", "type": "choice", "options": […]}], "bands": […]}';

/** A problem's place in the definition, as people read it: `questions[2].validation.pattern`. */
export function where(loc: FieldError["loc"]): string {
  const path = loc[0] === "body" ? loc.slice(1) : loc;
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
}

/** One answer of a run, as text: the value read from the reply, or "skipped". */
export function answerText(answer: unknown): string {
  if (!answer || typeof answer !== "object") return String(answer ?? "");
  const { value, skipped, points } = answer as { value?: unknown; skipped?: boolean; points?: number };
  if (skipped) return "skipped";
  const shown = typeof value === "string" ? value : JSON.stringify(value ?? null);
  return typeof points === "number" && points !== 0 ? `${shown} (${points} pts)` : shown;
}

export default function Assessments() {
  const canWrite = useCan("assessments:write");
  const [params, setParams] = useSearchParams();
  const selected = params.get("key");
  const [adding, setAdding] = useState(false);
  const list = useQuery({ queryKey: ["assessments"], queryFn: () => get<Summary[]>("/assessments") });
  return (
    <section>
      <div className="row between">
        <h1>Assessments</h1>
        {canWrite && !adding && <button onClick={() => setAdding(true)}>New assessment</button>}
      </div>
      {adding && (
        <DefinitionForm
          label="Create assessment"
          onCancel={() => setAdding(false)}
          onSaved={(saved) => {
            setAdding(false);
            setParams({ key: saved.key });
          }}
        />
      )}
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} retry={() => void list.refetch()} />}
      {list.data?.length === 0 && <Empty>No assessments yet.</Empty>}
      {list.data && list.data.length > 0 && (
        <div className="scroll">
          <table aria-label="Assessments">
            <thead>
              <tr>
                <th>Key</th>
                <th>Name</th>
                <th>Version</th>
                <th>Enabled</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((a) => (
                <tr key={a.id} data-testid="assessment-row">
                  <td>
                    <Link to={`?key=${encodeURIComponent(a.key)}`} className="mono">
                      {a.key}
                    </Link>
                  </td>
                  <td>{a.title}</td>
                  <td>{a.version}</td>
                  <td>{canWrite ? <EnabledToggle assessment={a} /> : a.enabled ? "yes" : "no"}</td>
                  <td>{new Date(a.updated_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected && <Detail key={selected} assessmentKey={selected} canWrite={canWrite} />}
    </section>
  );
}

function EnabledToggle({ assessment }: { assessment: Summary }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: () => patch<Assessment>(`/assessments/${assessment.key}`, { enabled: !assessment.enabled }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["assessments"] }),
  });
  return (
    <>
      <label className="inline">
        <input
          type="checkbox"
          aria-label={`${assessment.key} enabled`}
          checked={assessment.enabled}
          disabled={toggle.isPending}
          onChange={() => toggle.mutate()}
        />
        {assessment.enabled ? "yes" : "no"}
      </label>
      {toggle.error && <ErrorBox error={toggle.error} />}
    </>
  );
}

/** The definition as JSON in a textarea; the API checks it and names each problem. */
function DefinitionForm({
  label,
  current,
  onSaved,
  onCancel,
}: {
  label: string;
  current?: Assessment;
  onSaved: (saved: Assessment) => void;
  onCancel: () => void;
}) {
  const client = useQueryClient();
  const [text, setText] = useState(current ? JSON.stringify(current.definition, null, 2) : "");
  const [enabled, setEnabled] = useState(current?.enabled ?? true);
  const [syntax, setSyntax] = useState("");
  const save = useMutation({
    mutationFn: (definition: unknown) => {
      // The definition's own JSON stays as written; only `enabled` comes from the checkbox.
      const body = definition && typeof definition === "object" && !Array.isArray(definition) ? { ...definition, enabled } : definition;
      return current ? put<Assessment>(`/assessments/${current.key}`, body) : post<Assessment>("/assessments", body);
    },
    onSuccess: (saved) => {
      void client.invalidateQueries({ queryKey: ["assessments"] });
      void client.invalidateQueries({ queryKey: ["assessment", saved.key] });
      onSaved(saved);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (error) {
      setSyntax(error instanceof Error ? error.message : String(error));
      return;
    }
    setSyntax("");
    save.mutate(definition);
  };
  return (
    <form className="card form definition" onSubmit={submit} aria-label={label}>
      <label>
        Definition (JSON)
        <textarea
          className="mono"
          value={text}
          onChange={(e) => setText(e.target.value)}
          rows={16}
          spellCheck={false}
          placeholder={SHAPE}
          required
        />
      </label>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled (customers
        can start it)
      </label>
      {syntax && (
        <div className="status error" role="alert">
          <strong>Not valid JSON:</strong> {syntax}
        </div>
      )}
      {save.error && <SaveError error={save.error} />}
      <div className="row">
        <button type="submit" disabled={save.isPending}>
          {label}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A refused definition lists each problem the API named, with where it is. */
function SaveError({ error }: { error: Error }) {
  if (!(error instanceof ApiError) || error.errors.length === 0) return <ErrorBox error={error} />;
  return (
    <div className="status error" role="alert" aria-label="Problems">
      <strong>The definition was not saved:</strong>
      <ul>
        {error.errors.map((e, i) => (
          <li key={i} data-testid="problem">
            <code>{where(e.loc) || "definition"}</code>: {e.msg}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Detail({ assessmentKey, canWrite }: { assessmentKey: string; canWrite: boolean }) {
  const [editing, setEditing] = useState(false);
  const assessment = useQuery({
    queryKey: ["assessment", assessmentKey],
    queryFn: () => get<Assessment>(`/assessments/${encodeURIComponent(assessmentKey)}`),
  });
  if (assessment.isPending) return <Loading />;
  if (assessment.error) return <ErrorBox error={assessment.error} retry={() => void assessment.refetch()} />;
  const a = assessment.data;
  return (
    <div className="panel" role="region" aria-label={`Assessment ${a.key}`}>
      <div className="row between">
        <h2>
          {a.title} <span className="muted small mono">{a.key} · version {a.version}</span>
        </h2>
        {canWrite && !editing && (
          <button className="secondary" onClick={() => setEditing(true)}>
            Edit definition
          </button>
        )}
      </div>
      {editing && (
        <DefinitionForm label="Save definition" current={a} onSaved={() => setEditing(false)} onCancel={() => setEditing(false)} />
      )}
      <Versions assessment={a} />
      <Results assessment={a} />
    </div>
  );
}

function Versions({ assessment }: { assessment: Assessment }) {
  const [shown, setShown] = useState<number | null>(null);
  const versions = useQuery({
    queryKey: ["assessment", assessment.key, "versions", assessment.version],
    queryFn: () => get<Version[]>(`/assessments/${encodeURIComponent(assessment.key)}/versions`),
  });
  const definition = useQuery({
    queryKey: ["assessment", assessment.key, "version", shown],
    queryFn: () => get<Assessment>(`/assessments/${encodeURIComponent(assessment.key)}`, { version: shown }),
    enabled: shown !== null,
  });
  return (
    <div className="card part">
      <h2>Versions</h2>
      {versions.error && <ErrorBox error={versions.error} />}
      <ul className="versions" aria-label="Versions">
        {versions.data?.map((v) => (
          <li key={v.number} className="row" data-testid="assessment-version">
            <button type="button" className="link" onClick={() => setShown(shown === v.number ? null : v.number)}>
              Version {v.number}
            </button>
            <span className="muted small">{new Date(v.created_at).toLocaleString()}</span>
            {v.number === assessment.version && <span className="badge">current</span>}
          </li>
        ))}
      </ul>
      {shown !== null && definition.data && (
        <pre className="definition-json" aria-label={`Version ${shown}`}>
          {JSON.stringify(definition.data.definition, null, 2)}
        </pre>
      )}
      {definition.error && <ErrorBox error={definition.error} />}
    </div>
  );
}

function Results({ assessment }: { assessment: Assessment }) {
  const results = useQuery({
    queryKey: ["assessment", assessment.key, "results"],
    queryFn: () => get<Result[]>(`/assessments/${encodeURIComponent(assessment.key)}/results`, { limit: 100 }),
  });
  return (
    <div className="card part">
      <h2>Results</h2>
      {results.isPending && <Loading />}
      {results.error && <ErrorBox error={results.error} retry={() => void results.refetch()} />}
      {results.data?.length === 0 && <Empty>Nobody has taken it yet.</Empty>}
      {results.data && results.data.length > 0 && (
        <div className="scroll">
          <table aria-label="Results">
            <thead>
              <tr>
                <th>Started</th>
                <th>Completed</th>
                <th>Status</th>
                <th>Score</th>
                <th>Outcome</th>
                <th>Answers</th>
                <th>Conversation</th>
              </tr>
            </thead>
            <tbody>
              {results.data.map((r) => (
                <tr key={r.id} data-testid="assessment-result">
                  <td>{new Date(r.started_at).toLocaleString()}</td>
                  <td>{r.completed_at ? new Date(r.completed_at).toLocaleString() : "—"}</td>
                  <td>
                    <span className="badge">{r.status.replace("_", " ")}</span>
                    <div className="muted small">version {r.version}</div>
                  </td>
                  <td>{r.score ?? "—"}</td>
                  <td>{r.band ?? "—"}</td>
                  <td>
                    <dl className="analysis">
                      {Object.entries(r.answers).map(([id, answer]) => (
                        <Fragment key={id}>
                          <dt>{id}</dt>
                          <dd>{answerText(answer)}</dd>
                        </Fragment>
                      ))}
                    </dl>
                  </td>
                  <td>
                    <Link to={`/inbox/${r.conversation_id}`} className="mono">
                      #{r.conversation_id.slice(-6)}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
