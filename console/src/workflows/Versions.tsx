import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router-dom";
import { patch, post } from "../api/client";
import { useCan } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { DiffView } from "./DiffView";
import { getVersions, getWorkflow, when, workflowKey, type Definition, type Version } from "./ops/api";
import { WorkflowHeader } from "./ops/Header";
import { useWho } from "./ops/members";
import "./ops/ops.css";

function History({
  workflowId,
  versions,
  activeId,
  canWrite,
  onCompare,
}: {
  workflowId: string;
  versions: Version[];
  activeId: string | null;
  canWrite: boolean;
  onCompare: (from: string, to: string) => void;
}) {
  const client = useQueryClient();
  const [notice, setNotice] = useState("");
  const who = useWho();
  const numberOf = new Map(versions.map((v) => [v.id, v.number]));
  const refresh = () => void client.invalidateQueries({ queryKey: workflowKey(workflowId) });
  const activate = useMutation({
    mutationFn: (v: Version) => post(`/workflows/${workflowId}/activate`, { version_id: v.id }),
    onSuccess: (_, v) => {
      setNotice(`Version ${v.number} is now active: new runs take it.`);
      refresh();
    },
  });
  const restore = useMutation({
    mutationFn: (v: Version) => patch(`/workflows/${workflowId}`, { definition: v.definition }),
    onSuccess: (_, v) => {
      setNotice(`The draft now holds version ${v.number}'s definition.`);
      refresh();
      void client.invalidateQueries({ queryKey: ["workflow-diff", workflowId] });
    },
  });
  return (
    <section className="panel" aria-label="Version history">
      <h2>History</h2>
      {notice && (
        <div className="status" role="status">
          {notice}
        </div>
      )}
      {activate.error && <ErrorBox error={activate.error} />}
      {restore.error && <ErrorBox error={restore.error} />}
      <table>
        <thead>
          <tr>
            <th>Version</th>
            <th>Notes</th>
            <th>Author</th>
            <th>Created</th>
            <th>Parent</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.id} data-testid="wf-version">
              <td>
                <strong>v{v.number}</strong>{" "}
                {v.id === activeId && <span className="badge wf-s-completed">active</span>}
              </td>
              <td>{v.notes || <span className="muted">—</span>}</td>
              <td className="wrap">{who(v.author_id)}</td>
              <td>{when(v.created_at)}</td>
              <td>{v.parent_id ? `v${numberOf.get(v.parent_id) ?? "?"}` : <span className="muted">—</span>}</td>
              <td>
                <div className="row flow">
                  <button type="button" className="link" onClick={() => onCompare(v.id, "draft")}>
                    Compare with draft
                  </button>
                  {canWrite && v.id !== activeId && (
                    <button
                      type="button"
                      className="secondary"
                      disabled={activate.isPending}
                      onClick={() =>
                        window.confirm(`Activate version ${v.number}? New runs will take it; running ones keep theirs.`) &&
                        activate.mutate(v)
                      }
                    >
                      Activate
                    </button>
                  )}
                  {canWrite && (
                    <button
                      type="button"
                      className="secondary"
                      disabled={restore.isPending}
                      onClick={() =>
                        window.confirm(`Replace the draft with version ${v.number}'s definition?`) && restore.mutate(v)
                      }
                    >
                      Restore
                    </button>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The versions page: history, activation, restore and the diff viewer. */
export default function Versions() {
  const { workflowId = "" } = useParams();
  const canWrite = useCan("workflows:write");
  const workflow = useQuery({ queryKey: workflowKey(workflowId), queryFn: () => getWorkflow(workflowId) });
  const versions = useQuery({ queryKey: [...workflowKey(workflowId), "versions"], queryFn: () => getVersions(workflowId) });
  const [pair, setPair] = useState<[string, string] | null>(null);
  const list = versions.data ?? [];
  const defaultFrom = list.length > 1 ? list[1].id : (list[0]?.id ?? "");
  const defaultTo = list.length > 1 ? list[0].id : "draft";
  const [from, to] = pair ?? [defaultFrom, defaultTo];
  return (
    <div className="wf-page">
      <WorkflowHeader workflowId={workflowId} title="Versions" />
      {(workflow.isPending || versions.isPending) && <Loading />}
      {workflow.error && <ErrorBox error={workflow.error} retry={() => void workflow.refetch()} />}
      {versions.error && <ErrorBox error={versions.error} retry={() => void versions.refetch()} />}
      {workflow.data && versions.data && list.length === 0 && (
        <Empty>No version yet: save a version from the editor to freeze the draft.</Empty>
      )}
      {workflow.data && list.length > 0 && (
        <>
          <History
            workflowId={workflowId}
            versions={list}
            activeId={workflow.data.active_version_id}
            canWrite={canWrite}
            onCompare={(a, b) => setPair([a, b])}
          />
          <DiffView
            workflowId={workflowId}
            versions={list}
            draft={workflow.data.definition as Definition}
            from={from}
            to={to}
            onChange={(a, b) => setPair([a, b])}
          />
        </>
      )}
    </div>
  );
}
