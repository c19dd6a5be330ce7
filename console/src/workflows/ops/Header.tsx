import { useQuery } from "@tanstack/react-query";
import { NavLink } from "react-router-dom";
import { getWorkflow, workflowKey } from "./api";

/** The workflow's name and the links between its pages (editor, versions, simulator, runs, audit). */
export function WorkflowHeader({ workflowId, title }: { workflowId: string; title: string }) {
  const workflow = useQuery({ queryKey: workflowKey(workflowId), queryFn: () => getWorkflow(workflowId) });
  const base = `/workflows/${workflowId}`;
  return (
    <header className="wf-header">
      <p className="muted small">
        <NavLink to="/workflows">Workflows</NavLink> / {workflow.data?.name ?? workflowId}
      </p>
      <h1>{title}</h1>
      <nav className="wf-tabs" aria-label="Workflow pages">
        <NavLink to={base} end>
          Editor
        </NavLink>
        <NavLink to={`${base}/versions`}>Versions</NavLink>
        <NavLink to={`${base}/simulate`}>Simulate</NavLink>
        <NavLink to={`${base}/runs`}>Runs</NavLink>
        <NavLink to={`${base}/audit`}>Audit log</NavLink>
      </nav>
    </header>
  );
}

/** A status badge: the word itself, coloured by its class. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge wf-s-${status}`}>{status}</span>;
}
