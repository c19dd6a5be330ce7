import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { del, get, post, postText, type Example, type IntentModel } from "../api/client";
import { useCan } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";

interface Report {
  held_out?: number;
  accuracy?: number;
  rejected_as_out_of_scope?: number;
  per_intent?: Record<string, { precision: number | null; recall: number | null; support: number }>;
  confusions?: { intent: string; predicted: string; count: number }[];
}

interface Analysis {
  language: string;
  language_assumed: boolean;
  intent: { name: string; confidence: number; out_of_scope: boolean } | null;
  entities: { type?: string; kind?: string; value: string; start: number; end: number }[];
  sentiment: { score: number; label: string };
}

const pct = (value: number | null | undefined) => (value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`);

function Examples({ intent, canWrite }: { intent: string; canWrite: boolean }) {
  const client = useQueryClient();
  const [text, setText] = useState("");
  const list = useQuery({
    queryKey: ["examples", intent],
    queryFn: () => get<Example[]>("/understanding/examples", { intent, limit: 1000 }),
  });
  const done = () => void client.invalidateQueries({ queryKey: ["examples"] }).then(() => client.invalidateQueries({ queryKey: ["intents"] }));
  const add = useMutation({
    mutationFn: () => post("/understanding/examples", { examples: [{ intent, text: text.trim() }] }),
    onSuccess: () => {
      setText("");
      done();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => del(`/understanding/examples/${id}`), onSuccess: done });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <div className="examples">
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} />}
      <ul>
        {list.data?.map((e) => (
          <li key={e.id} className="row between">
            <span>{e.text}</span>
            {canWrite && (
              <button type="button" className="link" aria-label={`Delete example ${e.text}`} onClick={() => remove.mutate(e.id)}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
      {canWrite && (
        <form className="row flow" onSubmit={submit} aria-label={`Add an example to ${intent}`}>
          <input aria-label="Example" required maxLength={1000} value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit" className="secondary" disabled={add.isPending}>
            Add
          </button>
        </form>
      )}
      {add.error && <ErrorBox error={add.error} />}
      {remove.error && <ErrorBox error={remove.error} />}
    </div>
  );
}

function NewExamples({ onDone }: { onDone: () => void }) {
  const [intent, setIntent] = useState("");
  const [lines, setLines] = useState("");
  const [csv, setCsv] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: () =>
      post<{ added: number }>("/understanding/examples", {
        examples: lines
          .split("\n")
          .map((s) => s.trim())
          .filter(Boolean)
          .map((text) => ({ intent: intent.trim(), text })),
      }),
    onSuccess: () => {
      setLines("");
      setIntent("");
      onDone();
    },
  });
  const upload = useMutation({
    mutationFn: (body: string) => postText<{ added: number }>("/understanding/examples/import", body, "text/csv"),
    onSuccess: () => {
      setCsv(null);
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <div className="panel">
      <form className="form" onSubmit={submit} aria-label="Add examples">
        <h2>Add examples</h2>
        <label>
          Intent
          <input name="intent" required maxLength={100} value={intent} onChange={(e) => setIntent(e.target.value)} />
        </label>
        <label>
          Examples (one per line)
          <textarea name="examples" required rows={4} value={lines} onChange={(e) => setLines(e.target.value)} />
        </label>
        <div className="row">
          <button type="submit" disabled={add.isPending}>
            Add examples
          </button>
        </div>
        {add.data && <span className="muted small">Added {add.data.added}.</span>}
        {add.error && <ErrorBox error={add.error} />}
      </form>
      <form
        className="form"
        aria-label="Import CSV"
        onSubmit={(e) => {
          e.preventDefault();
          if (csv !== null) upload.mutate(csv);
        }}
      >
        <h2>Import CSV</h2>
        <p className="muted small">
          A CSV file with a header row and the columns <code>text</code> and <code>intent</code>.
        </p>
        <input
          type="file"
          accept=".csv,text/csv"
          aria-label="CSV file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void file.text().then(setCsv);
          }}
        />
        <div className="row">
          <button type="submit" className="secondary" disabled={csv === null || upload.isPending}>
            Import
          </button>
        </div>
        {upload.data && <span className="muted small">Imported {upload.data.added}.</span>}
        {upload.error && <ErrorBox error={upload.error} />}
      </form>
    </div>
  );
}

function ReportView({ report }: { report: Report }) {
  if (!report.held_out) return <p className="muted small">Too few examples were held out to evaluate this version.</p>;
  return (
    <div className="report">
      <p>
        Accuracy <strong data-testid="accuracy">{pct(report.accuracy)}</strong> on {report.held_out} held-out examples ·{" "}
        {pct(report.rejected_as_out_of_scope)} rejected as out of scope
      </p>
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th>Intent</th>
              <th>Precision</th>
              <th>Recall</th>
              <th>Support</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(report.per_intent ?? {}).map(([name, row]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{pct(row.precision)}</td>
                <td>{pct(row.recall)}</td>
                <td>{row.support}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {(report.confusions ?? []).length > 0 && (
        <>
          <h4>Top confusions</h4>
          <ul className="small">
            {(report.confusions ?? []).slice(0, 10).map((c) => (
              <li key={`${c.intent}>${c.predicted}`}>
                {c.intent} → {c.predicted}: {c.count}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Versions({ canWrite }: { canWrite: boolean }) {
  const client = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const models = useQuery({
    queryKey: ["intent-models"],
    queryFn: () => get<IntentModel[]>("/understanding/models"),
    // A version in training is polled until it is ready or failed.
    refetchInterval: (query) => (query.state.data?.some((m) => m.status === "training") ? 1000 : false),
  });
  const done = () => void client.invalidateQueries({ queryKey: ["intent-models"] });
  const train = useMutation({ mutationFn: () => post<IntentModel>("/understanding/models"), onSuccess: done });
  const activate = useMutation({ mutationFn: (id: string) => post<IntentModel>(`/understanding/models/${id}/activate`), onSuccess: done });
  return (
    <section className="panel" aria-label="Versions">
      <div className="row between">
        <h2>Versions</h2>
        {canWrite && (
          <button type="button" disabled={train.isPending} onClick={() => train.mutate()}>
            Train
          </button>
        )}
      </div>
      {train.error && <ErrorBox error={train.error} />}
      {activate.error && <ErrorBox error={activate.error} />}
      {models.isPending && <Loading />}
      {models.error && <ErrorBox error={models.error} retry={() => void models.refetch()} />}
      {models.data?.length === 0 && <Empty>No trained version yet.</Empty>}
      <ul className="faq">
        {models.data?.map((m) => (
          <li key={m.id} className="card" data-testid="version">
            <div className="row between flow">
              <strong>Version {m.version}</strong>
              <span className="row flow">
                <span className={m.status === "ready" ? "badge s-bot" : m.status === "failed" ? "badge s-waiting" : "badge"} data-testid="version-status">
                  {m.status}
                </span>
                {m.active && <span className="badge s-human">active</span>}
                <span className="muted small">
                  {m.examples} examples · {m.intents} intents
                </span>
              </span>
            </div>
            {m.error && <div className="status error">{m.error}</div>}
            <div className="row flow">
              {m.status === "ready" && (
                <button type="button" className="secondary" onClick={() => setOpen(open === m.id ? null : m.id)}>
                  {open === m.id ? "Hide report" : "Report"}
                </button>
              )}
              {canWrite && m.status === "ready" && !m.active && (
                <button type="button" onClick={() => activate.mutate(m.id)} disabled={activate.isPending}>
                  Activate
                </button>
              )}
            </div>
            {open === m.id && <ReportView report={m.report as Report} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Analyze() {
  const [text, setText] = useState("");
  const analyze = useMutation({ mutationFn: () => post<Analysis>("/understanding/analyze", { text }) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    analyze.mutate();
  };
  const result = analyze.data;
  return (
    <section className="panel" aria-label="Analyze">
      <h2>Analyze a text</h2>
      <form className="row flow" onSubmit={submit}>
        <input aria-label="Text to analyze" required maxLength={4000} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={analyze.isPending}>
          Analyze
        </button>
      </form>
      {analyze.error && <ErrorBox error={analyze.error} />}
      {result && (
        <dl className="analysis" data-testid="analysis">
          <dt>Language</dt>
          <dd>
            {result.language}
            {result.language_assumed ? " (assumed)" : ""}
          </dd>
          <dt>Intent</dt>
          <dd data-testid="analysis-intent">
            {result.intent
              ? `${result.intent.out_of_scope ? "out of scope" : result.intent.name} (${pct(result.intent.confidence)})`
              : "no active model"}
          </dd>
          <dt>Entities</dt>
          <dd>
            {result.entities.length === 0
              ? "none"
              : result.entities.map((e, i) => (
                  <span key={i} className="badge">
                    {e.type ?? e.kind}: {e.value}
                  </span>
                ))}
          </dd>
          <dt>Sentiment</dt>
          <dd>
            {result.sentiment.label} ({result.sentiment.score.toFixed(2)})
          </dd>
        </dl>
      )}
    </section>
  );
}

/** Intents and their examples, training versions with their reports, and a live analyzer. */
export default function Intents() {
  const canWrite = useCan("nlu:write");
  const client = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const intents = useQuery({ queryKey: ["intents"], queryFn: () => get<Record<string, number>>("/understanding/intents") });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ["intents"] });
    void client.invalidateQueries({ queryKey: ["examples"] });
  };
  const entries = Object.entries(intents.data ?? {});
  return (
    <section>
      <h1>Intents</h1>
      {intents.isPending && <Loading />}
      {intents.error && <ErrorBox error={intents.error} retry={() => void intents.refetch()} />}
      {intents.data && entries.length === 0 && <Empty>No intents yet: add examples below.</Empty>}
      <ul className="faq">
        {entries.map(([name, count]) => (
          <li key={name} className="card" data-testid="intent">
            <div className="row between">
              <button type="button" className="link" aria-expanded={open === name} onClick={() => setOpen(open === name ? null : name)}>
                {name}
              </button>
              <span className="muted small">{count} examples</span>
            </div>
            {open === name && <Examples intent={name} canWrite={canWrite} />}
          </li>
        ))}
      </ul>
      {canWrite && <NewExamples onDone={refresh} />}
      <Versions canWrite={canWrite} />
      <Analyze />
    </section>
  );
}
