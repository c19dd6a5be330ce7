import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { get, post, type Schemas } from "../api/client";
import { useCan } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";
import type { Workflow } from "./nodes";
import "./workflows.css";

type Version = Schemas["WorkflowVersionPublic"];

interface Template {
  key: string;
  name: string;
  description: string;
  entity_type: string;
  definition: { nodes?: unknown[]; triggers?: { type: string; event?: string }[] };
}

function ActiveVersion({ workflow }: { workflow: Workflow }) {
  const versions = useQuery({
    queryKey: ["workflow-versions", workflow.id],
    queryFn: () => get<Version[]>(`/workflows/${workflow.id}/versions`),
    enabled: workflow.active_version_id !== null,
  });
  if (workflow.active_version_id === null) return <span className="muted">none</span>;
  const active = versions.data?.find((v) => v.id === workflow.active_version_id);
  return <span className="badge s-bot">{active ? `v${active.number}` : "…"}</span>;
}

function CreateForm() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [name, setName] = useState("");
  const [bot, setBot] = useState("default");
  const create = useMutation({
    mutationFn: () => post<Workflow>("/workflows", { name: name.trim(), bot: bot.trim() || "default", definition: {} }),
    onSuccess: (workflow) => {
      void client.invalidateQueries({ queryKey: ["workflows"] });
      navigate(`/workflows/${workflow.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="form panel" onSubmit={submit} aria-label="New workflow">
      <h2>New workflow</h2>
      <div className="row flow">
        <label>
          Name
          <input name="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Bot
          <input name="bot" required maxLength={64} pattern="[A-Za-z0-9_.\-]+" value={bot} onChange={(e) => setBot(e.target.value)} />
        </label>
      </div>
      <div className="row">
        <button type="submit" disabled={create.isPending}>
          Create and edit
        </button>
      </div>
      {create.error && <ErrorBox error={create.error} />}
    </form>
  );
}

function TemplateCard({ template, canWrite }: { template: Template; canWrite: boolean }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [bot, setBot] = useState("default");
  const [activate, setActivate] = useState(true);
  const install = useMutation({
    mutationFn: () => post<Workflow>(`/workflow-templates/${template.key}/install`, { bot: bot.trim() || "default", activate }),
    onSuccess: (workflow) => {
      void client.invalidateQueries({ queryKey: ["workflows"] });
      navigate(`/workflows/${workflow.id}`);
    },
  });
  const triggers = (template.definition.triggers ?? []).map((t) => (t.type === "event" ? t.event : t.type)).join(", ");
  return (
    <li className="card wf-template" aria-label={`Template ${template.name}`}>
      <h3>{template.name}</h3>
      <p>{template.description}</p>
      <p className="muted small">
        {template.definition.nodes?.length ?? 0} nodes · entity {template.entity_type} · starts on {triggers || "manual"}
      </p>
      {canWrite && (
        <form
          className="row flow"
          onSubmit={(e) => {
            e.preventDefault();
            install.mutate();
          }}
        >
          <input aria-label="Bot" required maxLength={64} value={bot} onChange={(e) => setBot(e.target.value)} />
          <label className="inline small">
            <input type="checkbox" checked={activate} onChange={(e) => setActivate(e.target.checked)} /> Activate
          </label>
          <button type="submit" className="secondary" disabled={install.isPending}>
            Install
          </button>
        </form>
      )}
      {install.error && <ErrorBox error={install.error} />}
    </li>
  );
}

/** The workflows of the tenant, a form to start one, and the template gallery. */
export default function WorkflowList() {
  const canWrite = useCan("workflows:write");
  const workflows = useQuery({ queryKey: ["workflows"], queryFn: () => get<Workflow[]>("/workflows") });
  const templates = useQuery({ queryKey: ["workflow-templates"], queryFn: () => get<Template[]>("/workflow-templates") });
  return (
    <section className="wf-list">
      <h1>Workflows</h1>
      {workflows.isPending && <Loading />}
      {workflows.error && <ErrorBox error={workflows.error} retry={() => void workflows.refetch()} />}
      {workflows.data?.length === 0 && <Empty>No workflows yet. Create one, or install a template below.</Empty>}
      {workflows.data && workflows.data.length > 0 && (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Bot</th>
                <th>Active version</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {workflows.data.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link to={`/workflows/${w.id}`}>{w.name}</Link>
                  </td>
                  <td>{w.bot}</td>
                  <td>
                    <ActiveVersion workflow={w} />
                  </td>
                  <td>{new Date(w.updated_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canWrite && <CreateForm />}
      <h2 className="wf-gallery-title">Templates</h2>
      {templates.isPending && <Loading />}
      {templates.error && <ErrorBox error={templates.error} retry={() => void templates.refetch()} />}
      {templates.data?.length === 0 && <Empty>No templates.</Empty>}
      <ul className="wf-gallery">
        {templates.data?.map((t) => (
          <TemplateCard key={t.key} template={t} canWrite={canWrite} />
        ))}
      </ul>
    </section>
  );
}
