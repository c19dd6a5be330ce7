import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router-dom";
import { ErrorBox, Loading } from "../../components/Status";
import { SimulatorPanel } from "../Simulator";
import { getWorkflow, workflowKey } from "./api";
import { WorkflowHeader } from "./Header";
import "./ops.css";

interface DraftNode {
  id: string;
  type?: string;
  data?: { label?: unknown };
}

/** The simulator on its own page: the draft's nodes beside it, the current step's node marked. */
export default function SimulatePage() {
  const { workflowId = "" } = useParams();
  const workflow = useQuery({ queryKey: workflowKey(workflowId), queryFn: () => getWorkflow(workflowId) });
  const [current, setCurrent] = useState<string | null>(null);
  const nodes = ((workflow.data?.definition as { nodes?: DraftNode[] } | undefined)?.nodes ?? []).filter(
    (n) => n && typeof n.id === "string",
  );
  return (
    <div className="wf-page">
      <WorkflowHeader workflowId={workflowId} title="Simulate" />
      {workflow.isPending && <Loading />}
      {workflow.error && <ErrorBox error={workflow.error} retry={() => void workflow.refetch()} />}
      {workflow.data && (
        <div className="wf-sim-layout">
          <section className="panel" aria-label="Draft nodes">
            <h2>Draft nodes</h2>
            {nodes.length === 0 && <p className="muted">The draft has no nodes.</p>}
            <ul className="wf-node-list">
              {nodes.map((n) => (
                <li
                  key={n.id}
                  className={n.id === current ? "wf-node-current" : undefined}
                  aria-current={n.id === current ? "step" : undefined}
                  data-testid="sim-draft-node"
                >
                  <strong>{n.id}</strong> <span className="muted">{n.type}</span>
                  {typeof n.data?.label === "string" && <div className="small">{n.data.label}</div>}
                </li>
              ))}
            </ul>
          </section>
          <div className="panel">
            <SimulatorPanel workflowId={workflowId} definition={null} onStep={setCurrent} />
          </div>
        </div>
      )}
    </div>
  );
}
