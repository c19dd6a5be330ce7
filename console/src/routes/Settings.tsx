import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { get, patch, type Tenant } from "../api/client";
import { useCan } from "../auth";
import { ErrorBox, Loading } from "../components/Status";
import { AnswerSettings } from "./AnswerSettings";

interface Form {
  name: string;
  retention_days: number;
  fallback_text: string;
  faq_threshold: number;
  timezone: string;
  language: string;
}

export function Settings() {
  const client = useQueryClient();
  const canSetLlm = useCan("llm:write");
  const tenant = useQuery({ queryKey: ["tenant"], queryFn: () => get<Tenant>("/tenant") });
  const [form, setForm] = useState<Form | null>(null);
  useEffect(() => {
    if (tenant.data) {
      const s = tenant.data.settings;
      setForm({
        name: tenant.data.name,
        retention_days: tenant.data.retention_days,
        fallback_text: s.fallback_text ?? "",
        faq_threshold: s.faq_threshold ?? 68,
        timezone: s.timezone ?? "UTC",
        language: s.language ?? "en",
      });
    }
  }, [tenant.data]);
  const save = useMutation({
    mutationFn: (f: Form) =>
      patch<Tenant>("/tenant", {
        name: f.name,
        retention_days: f.retention_days,
        settings: {
          ...tenant.data?.settings,
          fallback_text: f.fallback_text,
          faq_threshold: f.faq_threshold,
          timezone: f.timezone,
          language: f.language,
        },
      }),
    onSuccess: (t) => client.setQueryData(["tenant"], t),
  });
  if (tenant.isPending || (!form && !tenant.error)) return <Loading />;
  if (tenant.error || !form) return <ErrorBox error={tenant.error} retry={() => void tenant.refetch()} />;
  const set = (key: keyof Form, numeric = false) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: numeric ? Number(e.target.value) : e.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(form);
  };
  return (
    <section>
      <h1>Tenant settings</h1>
      <form className="card form" onSubmit={submit} aria-label="Tenant settings">
        <label>
          Name
          <input value={form.name} onChange={set("name")} required maxLength={200} />
        </label>
        <label>
          Fallback text (sent when the bot hands over to a human)
          <textarea value={form.fallback_text} onChange={set("fallback_text")} rows={3} required maxLength={2000} />
        </label>
        <label>
          FAQ match threshold (0–100)
          <input type="number" min={0} max={100} step={1} value={form.faq_threshold} onChange={set("faq_threshold", true)} />
        </label>
        <label>
          Time zone
          <input value={form.timezone} onChange={set("timezone")} maxLength={64} />
        </label>
        <label>
          Language
          <input value={form.language} onChange={set("language")} maxLength={16} />
        </label>
        <label>
          Retention (days)
          <input type="number" min={1} max={3650} value={form.retention_days} onChange={set("retention_days", true)} />
        </label>
        <button type="submit" disabled={save.isPending}>
          Save
        </button>
        {save.isSuccess && <div className="status">Saved.</div>}
        {save.error && <ErrorBox error={save.error} />}
      </form>
      {canSetLlm && <AnswerSettings />}
    </section>
  );
}
