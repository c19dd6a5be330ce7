import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { get, patch } from "../api/client";
import { ErrorBox, Loading } from "../components/Status";

interface LlmSettings {
  preference: "cheap" | "balanced" | "premium";
  monthly_budget_usd: number | null;
  budget_action: "block" | "downgrade";
  max_tokens_cap: number;
  tone: string | null;
}

/** The tenant's tone of voice, model preference and monthly LLM budget (`llm:write`). */
export function AnswerSettings() {
  const client = useQueryClient();
  const current = useQuery({ queryKey: ["llm-settings"], queryFn: () => get<LlmSettings>("/llm/settings") });
  const [form, setForm] = useState<LlmSettings | null>(null);
  useEffect(() => {
    if (current.data) setForm(current.data);
  }, [current.data]);
  const save = useMutation({
    mutationFn: (f: LlmSettings) =>
      patch<LlmSettings>("/llm/settings", {
        preference: f.preference,
        monthly_budget_usd: f.monthly_budget_usd,
        budget_action: f.budget_action,
        max_tokens_cap: f.max_tokens_cap,
        tone: f.tone ?? "",
      }),
    onSuccess: (saved) => client.setQueryData(["llm-settings"], saved),
  });
  if (current.isPending || (!form && !current.error)) return <Loading />;
  if (current.error || !form) return <ErrorBox error={current.error} retry={() => void current.refetch()} />;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(form);
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Answers and budget">
      <h2>Answers and budget</h2>
      <label>
        Tone of voice (prepended to every generated answer)
        <textarea
          value={form.tone ?? ""}
          onChange={(e) => setForm({ ...form, tone: e.target.value })}
          rows={3}
          maxLength={5000}
        />
      </label>
      <label>
        Model preference
        <select
          value={form.preference}
          onChange={(e) => setForm({ ...form, preference: e.target.value as LlmSettings["preference"] })}
        >
          <option value="cheap">cheap</option>
          <option value="balanced">balanced</option>
          <option value="premium">premium</option>
        </select>
      </label>
      <label>
        Monthly LLM budget (USD, empty for none)
        <input
          type="number"
          min={0}
          step={1}
          value={form.monthly_budget_usd ?? ""}
          onChange={(e) =>
            setForm({ ...form, monthly_budget_usd: e.target.value === "" ? null : Number(e.target.value) })
          }
        />
      </label>
      <label>
        When the budget is spent
        <select
          value={form.budget_action}
          onChange={(e) => setForm({ ...form, budget_action: e.target.value as LlmSettings["budget_action"] })}
        >
          <option value="block">stop generating (answers become extractive)</option>
          <option value="downgrade">switch to the cheap models</option>
        </select>
      </label>
      <label>
        Longest answer (tokens)
        <input
          type="number"
          min={1}
          max={100000}
          value={form.max_tokens_cap}
          onChange={(e) => setForm({ ...form, max_tokens_cap: Number(e.target.value) })}
        />
      </label>
      <button type="submit" disabled={save.isPending}>
        Save
      </button>
      {save.isSuccess && <div className="status">Saved.</div>}
      {save.error && <ErrorBox error={save.error} />}
    </form>
  );
}
