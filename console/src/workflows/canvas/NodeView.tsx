import { Handle, Position, type NodeProps } from "@xyflow/react";
import { createContext, memo, useContext } from "react";
import { DEFAULT_HANDLE, type Catalog, type Problem } from "../nodes";

/** What every node on the canvas needs beyond its own data (one provider, stable values). */
export interface CanvasInfo {
  catalog: Catalog;
  problems: Map<string, Problem[]>;
}

export const CanvasContext = createContext<CanvasInfo | null>(null);

function handleTop(index: number, count: number): string {
  return `${((index + 1) * 100) / (count + 1)}%`;
}

/** One workflow node: its label, type, kind colour, problems, and one labelled source handle per way out. */
export const NodeView = memo(function NodeView({ id, type, data, selected }: NodeProps) {
  const info = useContext(CanvasContext);
  const nodeType = info?.catalog.nodes.find((n) => n.type === type);
  const problems = info?.problems.get(id) ?? [];
  const errors = problems.filter((p) => p.severity !== "warning");
  const handles = nodeType?.handles ?? [];
  const label = typeof data.label === "string" && data.label ? data.label : (nodeType?.label ?? type);
  const classes = ["wf-node", `wf-kind-${nodeType?.group ?? "unknown"}`];
  if (selected) classes.push("selected");
  if (errors.length) classes.push("has-errors");
  else if (problems.length) classes.push("has-warnings");
  return (
    <div className={classes.join(" ")} data-testid={`node-${id}`} title={problems.map((p) => p.message).join("\n") || undefined}>
      {type !== "start" && <Handle type="target" position={Position.Left} className="wf-in" />}
      <div className="wf-node-label">{label}</div>
      <div className="wf-node-type">
        {nodeType?.label ?? `unknown type ${type}`} <span className="muted">· {id}</span>
      </div>
      {problems.length > 0 && (
        <div className="wf-node-problems" role="note" aria-label={`Problems of ${id}`}>
          {problems.length === 1 ? problems[0].message : `${problems.length} problems: ${problems[0].message}`}
        </div>
      )}
      {handles.map((handle, index) => (
        <Handle
          key={handle}
          id={handle}
          type="source"
          position={Position.Right}
          className={`wf-out wf-out-${handle}`}
          style={{ top: handleTop(index, handles.length) }}
          title={handle === DEFAULT_HANDLE ? "next" : handle}
        >
          {handle !== DEFAULT_HANDLE && <span className="wf-handle-label">{handle}</span>}
        </Handle>
      ))}
    </div>
  );
});
