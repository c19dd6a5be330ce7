import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { del, get, patch, post, type Faq as FaqEntry } from "../api/client";
import { useCan } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";

interface Draft {
  question: string;
  answer: string;
  alternates: string;
  category: string;
}

const BLANK: Draft = { question: "", answer: "", alternates: "", category: "" };

function toBody(draft: Draft) {
  return {
    question: draft.question.trim(),
    answer: draft.answer.trim(),
    alternate_questions: draft.alternates
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean),
    category: draft.category.trim() || null,
  };
}

export function FaqForm({
  initial,
  onSubmit,
  onCancel,
  pending,
  label,
}: {
  initial: Draft;
  onSubmit: (draft: Draft) => void;
  onCancel?: () => void;
  pending: boolean;
  label: string;
}) {
  const [draft, setDraft] = useState(initial);
  const set = (key: keyof Draft) => (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(draft);
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={label}>
      <label>
        Question
        <input value={draft.question} onChange={set("question")} required maxLength={1000} />
      </label>
      <label>
        Answer
        <textarea value={draft.answer} onChange={set("answer")} required rows={3} maxLength={10000} />
      </label>
      <label>
        Other phrasings (one per line)
        <textarea value={draft.alternates} onChange={set("alternates")} rows={2} />
      </label>
      <label>
        Category
        <input value={draft.category} onChange={set("category")} maxLength={100} />
      </label>
      <div className="row">
        <button type="submit" disabled={pending}>
          {label}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function Faq() {
  const canWrite = useCan("faq:write");
  const client = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const list = useQuery({ queryKey: ["faq"], queryFn: () => get<FaqEntry[]>("/faq", { limit: 500 }) });
  const done = () => void client.invalidateQueries({ queryKey: ["faq"] });
  const create = useMutation({
    mutationFn: (draft: Draft) => post<FaqEntry>("/faq", toBody(draft)),
    onSuccess: () => {
      setAdding(false);
      done();
    },
  });
  const update = useMutation({
    mutationFn: ({ id, draft }: { id: string; draft: Draft }) => patch<FaqEntry>(`/faq/${id}`, toBody(draft)),
    onSuccess: () => {
      setEditing(null);
      done();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => del(`/faq/${id}`), onSuccess: done });
  return (
    <section>
      <div className="row between">
        <h1>FAQ</h1>
        {canWrite && !adding && <button onClick={() => setAdding(true)}>New entry</button>}
      </div>
      {adding && (
        <FaqForm initial={BLANK} label="Add entry" pending={create.isPending} onSubmit={(d) => create.mutate(d)} onCancel={() => setAdding(false)} />
      )}
      {create.error && <ErrorBox error={create.error} />}
      {update.error && <ErrorBox error={update.error} />}
      {remove.error && <ErrorBox error={remove.error} />}
      {list.isPending && <Loading />}
      {list.error && <ErrorBox error={list.error} retry={() => void list.refetch()} />}
      {list.data?.length === 0 && <Empty>No FAQ entries yet.</Empty>}
      <ul className="faq">
        {list.data?.map((entry) =>
          editing === entry.id ? (
            <li key={entry.id}>
              <FaqForm
                initial={{
                  question: entry.question,
                  answer: entry.answer,
                  alternates: (entry.alternate_questions ?? []).join("\n"),
                  category: entry.category ?? "",
                }}
                label="Save"
                pending={update.isPending}
                onSubmit={(draft) => update.mutate({ id: entry.id, draft })}
                onCancel={() => setEditing(null)}
              />
            </li>
          ) : (
            <li key={entry.id} className="card" data-testid="faq-entry">
              <div className="row between">
                <strong>{entry.question}</strong>
                <span className="muted small">
                  {entry.category ?? "—"} · {entry.hit_count} hits
                </span>
              </div>
              <p>{entry.answer}</p>
              {(entry.alternate_questions ?? []).length > 0 && (
                <p className="muted small">Also: {(entry.alternate_questions ?? []).join(" · ")}</p>
              )}
              {canWrite && (
                <div className="row">
                  <button className="secondary" onClick={() => setEditing(entry.id)}>
                    Edit
                  </button>
                  <button
                    className="danger"
                    onClick={() => window.confirm("Delete this entry?") && remove.mutate(entry.id)}
                  >
                    Delete
                  </button>
                </div>
              )}
            </li>
          ),
        )}
      </ul>
    </section>
  );
}
