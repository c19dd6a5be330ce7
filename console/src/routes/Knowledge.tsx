import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import {
  del,
  get,
  post,
  uploadWithProgress,
  type IngestJob,
  type KbAnswer,
  type KbDocument,
  type KbQueryResponse,
  type Namespace,
} from "../api/client";
import { useCan } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";

const FINISHED = ["done", "partial", "failed"];
const ACCEPT = ".pdf,.docx,.xlsx,.pptx,.csv,.txt,.text,.md,.markdown,.rtf,.html,.htm";
const MODE_LABEL: Record<KbAnswer["mode"], string> = {
  generated: "generated",
  extractive: "extractive",
  dont_know: "don't know",
};

/** Only http(s) links are rendered as links: a stored URL never becomes a script. */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80) || "document"
  );
}

function enc(name: string): string {
  return encodeURIComponent(name);
}

function NamespaceForm({ onCreated }: { onCreated: (name: string) => void }) {
  const client = useQueryClient();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation({
    mutationFn: () => post<Namespace>("/knowledge/namespaces", { name: name.trim(), description: description.trim() }),
    onSuccess: (ns) => {
      setName("");
      setDescription("");
      void client.invalidateQueries({ queryKey: ["kb", "namespaces"] });
      onCreated(ns.name);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="card form" aria-label="New namespace" onSubmit={submit}>
      <label>
        Namespace name
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*" />
      </label>
      <label>
        Description
        <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
      </label>
      <div className="row">
        <button type="submit" disabled={create.isPending}>
          Create namespace
        </button>
      </div>
      {create.error && <ErrorBox error={create.error} />}
    </form>
  );
}

function Documents({ namespace, canWrite }: { namespace: string; canWrite: boolean }) {
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ["kb", "documents", namespace],
    queryFn: () => get<KbDocument[]>(`/knowledge/namespaces/${enc(namespace)}/documents`, { limit: 500 }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => del(`/knowledge/documents/${enc(id)}`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["kb", "documents", namespace] }),
  });
  return (
    <section className="card" aria-label="Documents">
      <h2>Documents</h2>
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} retry={() => void list.refetch()} />}
      {remove.error && <ErrorBox error={remove.error} />}
      {list.data?.length === 0 && <Empty>No documents in this namespace yet.</Empty>}
      {list.data && list.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Title</th>
              <th>Source</th>
              <th>Chunks</th>
              <th>Status</th>
              {canWrite && <th />}
            </tr>
          </thead>
          <tbody>
            {list.data.map((doc) => (
              <tr key={doc.id} id={`kb-doc-${doc.id}`} data-testid="kb-document">
                <td>{doc.title || "(untitled)"}</td>
                <td className="small">{doc.source}</td>
                <td>{doc.chunk_count}</td>
                <td>{doc.chunk_count > 0 ? "indexed" : "no text"}</td>
                {canWrite && (
                  <td>
                    <button
                      type="button"
                      className="danger"
                      disabled={remove.isPending}
                      onClick={() => window.confirm(`Delete "${doc.title || doc.source}"?`) && remove.mutate(doc.id)}
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PasteForm({ namespace }: { namespace: string }) {
  const client = useQueryClient();
  const [title, setTitle] = useState("");
  const [text, setText] = useState("");
  const add = useMutation({
    mutationFn: () =>
      post<KbDocument>(`/knowledge/namespaces/${enc(namespace)}/documents`, {
        title: title.trim(),
        text,
        source: `paste:${slug(title)}`,
      }),
    onSuccess: () => {
      setTitle("");
      setText("");
      void client.invalidateQueries({ queryKey: ["kb", "documents", namespace] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <form className="card form" aria-label="Paste a document" onSubmit={submit}>
      <h2>Paste text</h2>
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={500} />
      </label>
      <label>
        Text
        <textarea value={text} onChange={(e) => setText(e.target.value)} required rows={6} />
      </label>
      <div className="row">
        <button type="submit" disabled={add.isPending}>
          {add.isPending ? "Indexing…" : "Add document"}
        </button>
      </div>
      {add.error && <ErrorBox error={add.error} />}
    </form>
  );
}

/** An ingestion job's progress, polled until it finishes, with its per-document errors. */
export function JobStatus({ job }: { job: IngestJob }) {
  return (
    <div className="status" role="status" aria-label="Ingestion job" data-testid="kb-job">
      <strong data-testid="kb-job-status">{job.status}</strong> · {job.done}/{job.total} documents · {job.chunks}{" "}
      chunks
      {job.errors.length > 0 && (
        <ul className="small">
          {job.errors.map((err, i) => (
            <li key={i}>
              {err.source}: {err.error}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function UploadForm({ namespace }: { namespace: string }) {
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState(0);
  const [jobId, setJobId] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: (f: File) =>
      uploadWithProgress<IngestJob>(
        `/knowledge/namespaces/${enc(namespace)}/files?filename=${enc(f.name)}`,
        f,
        setProgress,
      ),
    onSuccess: (job) => setJobId(job.id),
  });
  const job = useQuery({
    queryKey: ["kb", "job", jobId],
    queryFn: () => get<IngestJob>(`/knowledge/jobs/${enc(jobId ?? "")}`),
    enabled: jobId !== null,
    refetchInterval: (query) => (query.state.data && FINISHED.includes(query.state.data.status) ? false : 1000),
  });
  const finishedJob = job.data && FINISHED.includes(job.data.status) ? job.data.id : null;
  useEffect(() => {
    if (finishedJob) void client.invalidateQueries({ queryKey: ["kb", "documents", namespace] });
  }, [finishedJob, client, namespace]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setProgress(0);
    setJobId(null);
    upload.mutate(file);
  };
  return (
    <form className="card form" aria-label="Upload a file" onSubmit={submit}>
      <h2>Upload a file</h2>
      <label>
        File (PDF, Word, Excel, PowerPoint, CSV, text, Markdown, RTF, HTML)
        <input type="file" accept={ACCEPT} onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
      </label>
      <div className="row">
        <button type="submit" disabled={upload.isPending || !file}>
          Upload
        </button>
      </div>
      {(upload.isPending || progress > 0) && (
        <progress className="kb-progress" aria-label="Upload progress" max={1} value={progress}>
          {Math.round(progress * 100)}%
        </progress>
      )}
      {upload.error && <ErrorBox error={upload.error} />}
      {job.error && <ErrorBox error={job.error} retry={() => void job.refetch()} />}
      {job.data && <JobStatus job={job.data} />}
    </form>
  );
}

/** Search results: score, document and the chunk's text (always as text). */
export function QueryResults({ data }: { data: KbQueryResponse }) {
  if (data.results.length === 0) return <Empty>No passages matched.</Empty>;
  return (
    <ol className="kb-results">
      {data.results.map((hit) => {
        const title = typeof hit.metadata.title === "string" && hit.metadata.title ? hit.metadata.title : hit.document_id;
        return (
          <li key={hit.chunk_id} data-testid="kb-result">
            <div className="row between">
              <strong>{title}</strong>
              <span className="muted small" data-testid="kb-score">
                score {hit.score.toFixed(3)}
                {Object.entries(hit.scores).map(([k, v]) => ` · ${k} ${v.toFixed(3)}`)}
              </span>
            </div>
            <p className="small">{hit.content.length > 400 ? `${hit.content.slice(0, 400)}…` : hit.content}</p>
          </li>
        );
      })}
    </ol>
  );
}

/** An answer, its mode and its numbered citations (links only for http(s) URLs). */
export function AnswerView({ data }: { data: KbAnswer }) {
  return (
    <div data-testid="kb-answer">
      <p>
        <span className="badge" data-testid="kb-answer-mode">
          {MODE_LABEL[data.mode]}
        </span>
      </p>
      <p className="kb-answer-text" data-testid="kb-answer-text">{data.answer}</p>
      {data.citations.length > 0 && (
        <ol className="kb-citations">
          {data.citations.map((c) => {
            const href = safeUrl(c.url);
            const label = c.title || c.source;
            return (
              <li key={c.number} data-testid="kb-citation">
                [{c.number}]{" "}
                {href ? (
                  <a href={href} target="_blank" rel="noreferrer noopener">
                    {label}
                  </a>
                ) : (
                  <a href={`#kb-doc-${c.document_id}`}>{label}</a>
                )}{" "}
                <span className="muted small">
                  {c.source} · score {c.score.toFixed(3)}
                </span>
                <blockquote className="small">{c.excerpt}</blockquote>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}

type Outcome = { kind: "query"; r: KbQueryResponse } | { kind: "answer"; r: KbAnswer };

function Tester({ namespace, kind }: { namespace: string; kind: "query" | "answer" }) {
  const [text, setText] = useState("");
  const run = useMutation({
    mutationFn: async (query: string): Promise<Outcome> =>
      kind === "query"
        ? { kind: "query", r: await post<KbQueryResponse>("/knowledge/query", { query, namespace, top_k: 5 }) }
        : { kind: "answer", r: await post<KbAnswer>("/knowledge/answer", { query, namespace }) },
  });
  const label = kind === "query" ? "Query tester" : "Answer tester";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    run.mutate(text.trim());
  };
  return (
    <section className="card" aria-label={label}>
      <h2>{label}</h2>
      <form className="form" onSubmit={submit}>
        <label>
          {kind === "query" ? "Search text" : "Question"}
          <input value={text} onChange={(e) => setText(e.target.value)} required maxLength={4096} />
        </label>
        <div className="row">
          <button type="submit" disabled={run.isPending}>
            {kind === "query" ? "Search" : "Ask"}
          </button>
        </div>
      </form>
      {run.isPending && <Loading />}
      {run.error && <ErrorBox error={run.error} />}
      {run.data?.kind === "query" && <QueryResults data={run.data.r} />}
      {run.data?.kind === "answer" && <AnswerView data={run.data.r} />}
    </section>
  );
}

export default function Knowledge() {
  const canWrite = useCan("knowledge:write");
  const [chosen, setChosen] = useState<string | null>(null);
  const namespaces = useQuery({
    queryKey: ["kb", "namespaces"],
    queryFn: () => get<Namespace[]>("/knowledge/namespaces"),
  });
  const names = namespaces.data?.map((ns) => ns.name) ?? [];
  const current = chosen && names.includes(chosen) ? chosen : (names[0] ?? null);
  return (
    <section>
      <h1>Knowledge</h1>
      {namespaces.isPending && <Loading />}
      {namespaces.error && <ErrorBox error={namespaces.error} retry={() => void namespaces.refetch()} />}
      {namespaces.data && (
        <section className="card" aria-label="Namespaces">
          <h2>Namespaces</h2>
          {names.length === 0 && <Empty>No namespaces yet{canWrite ? ": create one below." : "."}</Empty>}
          <ul className="kb-namespaces">
            {namespaces.data.map((ns) => (
              <li key={ns.id}>
                <button
                  type="button"
                  className={ns.name === current ? "" : "secondary"}
                  aria-pressed={ns.name === current}
                  onClick={() => setChosen(ns.name)}
                >
                  {ns.name}
                </button>{" "}
                <span className="muted small">{ns.description}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {canWrite && namespaces.data && <NamespaceForm onCreated={setChosen} />}
      {current && (
        <>
          <Documents key={`docs-${current}`} namespace={current} canWrite={canWrite} />
          {canWrite && <PasteForm key={`paste-${current}`} namespace={current} />}
          {canWrite && <UploadForm key={`upload-${current}`} namespace={current} />}
          <Tester key={`query-${current}`} namespace={current} kind="query" />
          <Tester key={`answer-${current}`} namespace={current} kind="answer" />
        </>
      )}
    </section>
  );
}
