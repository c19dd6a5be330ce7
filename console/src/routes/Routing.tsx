import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { del, get, patch, post, type Schemas, type Tenant } from "../api/client";
import { useCan } from "../auth";
import { Analytics } from "../components/Routing/Analytics";
import { Decisions } from "../components/Routing/Decisions";
import { BUILT_IN_ENTITIES, routingFields } from "../components/Routing/fields";
import { RuleCard } from "../components/Routing/RuleCard";
import { NEW_RULE, RuleForm, type Rule, type RuleBody } from "../components/Routing/RuleForm";
import { TryMessage } from "../components/Routing/TryMessage";
import { Empty, ErrorBox, Loading } from "../components/Status";
// The rule builder's look lives with the workflow builder's.
import "../workflows/workflows.css";

type Handler = Schemas["HandlerInfo"];
type Catalog = Schemas["Catalog"];

/** What the rule form needs besides the rule: handlers, the engine's operators, entity types. */
function useFormData(enabled: boolean) {
  const handlers = useQuery({ queryKey: ["routing-handlers"], queryFn: () => get<Handler[]>("/routing/handlers"), enabled, staleTime: Infinity });
  const catalog = useQuery({ queryKey: ["workflow-node-types"], queryFn: () => get<Catalog>("/workflow-node-types"), enabled, staleTime: Infinity });
  const tenant = useQuery({ queryKey: ["tenant"], queryFn: () => get<Tenant>("/tenant"), enabled });
  const patterns = Object.keys(tenant.data?.settings.entity_patterns ?? {});
  return {
    handlers: handlers.data,
    catalog: catalog.data,
    fields: routingFields([...BUILT_IN_ENTITIES, ...patterns]),
    error: handlers.error ?? catalog.error ?? tenant.error,
  };
}

/** Routing rules (tried by priority before the built-in routing), a dry run, and how messages went. */
export default function Routing() {
  const canWrite = useCan("routing:write");
  const client = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const rules = useQuery({ queryKey: ["routing-rules"], queryFn: () => get<Rule[]>("/routing/rules") });
  const form = useFormData(canWrite);
  const done = () => void client.invalidateQueries({ queryKey: ["routing-rules"] });
  const create = useMutation({
    mutationFn: (body: RuleBody) => post<Rule>("/routing/rules", body),
    onSuccess: () => {
      setAdding(false);
      done();
    },
  });
  const update = useMutation({
    mutationFn: ({ id, body }: { id: string; body: RuleBody }) => patch<Rule>(`/routing/rules/${id}`, body),
    onSuccess: () => {
      setEditing(null);
      done();
    },
  });
  // The switch moves at once; a refusal puts it back.
  const toggle = useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) => patch<Rule>(`/routing/rules/${id}`, { enabled }),
    onMutate: ({ id, enabled }) =>
      client.setQueryData<Rule[]>(["routing-rules"], (list) => list?.map((r) => (r.id === id ? { ...r, enabled } : r))),
    onSettled: done,
  });
  const remove = useMutation({ mutationFn: (id: string) => del(`/routing/rules/${id}`), onSuccess: done });
  const formProps = form.handlers && form.catalog ? { handlers: form.handlers, catalog: form.catalog, fields: form.fields } : null;
  const startAdding = () => {
    create.reset();
    setEditing(null);
    setAdding(true);
  };
  const startEditing = (id: string) => {
    update.reset();
    setAdding(false);
    setEditing(id);
  };
  return (
    <section>
      <div className="row between">
        <h1>Routing</h1>
        {canWrite && !adding && (
          <button type="button" onClick={startAdding} disabled={!formProps}>
            New rule
          </button>
        )}
      </div>
      <p className="muted">
        Rules are tried lowest priority first, after a request for a person and any flow under way; the first whose conditions
        match sends the message to its handler.
      </p>
      {form.error && <ErrorBox error={form.error} />}
      {adding && formProps && (
        <RuleForm
          {...formProps}
          initial={NEW_RULE}
          label="Add rule"
          pending={create.isPending}
          error={create.error}
          onSubmit={(body) => create.mutate(body)}
          onCancel={() => setAdding(false)}
        />
      )}
      {toggle.error && <ErrorBox error={toggle.error} />}
      {remove.error && <ErrorBox error={remove.error} />}
      {rules.isPending && <Loading />}
      {rules.error && <ErrorBox error={rules.error} retry={() => void rules.refetch()} />}
      {rules.data?.length === 0 && <Empty>No routing rules: every message takes the built-in routing.</Empty>}
      <ul className="faq" aria-label="Rules">
        {rules.data?.map((rule) =>
          editing === rule.id && formProps ? (
            <li key={rule.id}>
              <RuleForm
                {...formProps}
                initial={rule}
                label="Save"
                pending={update.isPending}
                error={update.error}
                onSubmit={(body) => update.mutate({ id: rule.id, body })}
                onCancel={() => setEditing(null)}
              />
            </li>
          ) : (
            <RuleCard
              key={rule.id}
              rule={rule}
              canWrite={canWrite}
              busy={remove.isPending}
              onToggle={(enabled) => toggle.mutate({ id: rule.id, enabled })}
              onEdit={() => startEditing(rule.id)}
              onDelete={() => window.confirm(`Delete the rule "${rule.name}"?`) && remove.mutate(rule.id)}
            />
          ),
        )}
      </ul>
      <TryMessage rules={rules.data ?? []} />
      <Analytics />
      <Decisions rules={rules.data ?? []} />
    </section>
  );
}
