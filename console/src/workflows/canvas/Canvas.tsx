import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type Node,
  type NodeChange,
  type XYPosition,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useCallback, useMemo, useRef, useState, type DragEvent } from "react";
import { connectionProblem, handleLabel, uniqueEdgeId, type Catalog, type Definition, type Problem, type WfEdge } from "../nodes";
import { CanvasContext, NodeView } from "./NodeView";
import { DRAG_TYPE } from "./Palette";

/** How the editor's state changes: `key` coalesces undo steps; `undoable: false` keeps it out of the history. */
export type Apply = (change: (definition: Definition) => Definition, key?: string | null, undoable?: boolean) => void;

interface Props {
  definition: Definition;
  catalog: Catalog;
  problems: Map<string, Problem[]>;
  highlight: string | null;
  readOnly: boolean;
  apply: Apply;
  onAdd: (type: string, position: XYPosition) => void;
  onRefuse: (reason: string) => void;
}

const COSMETIC = new Set(["select", "dimensions"]);

/** The React Flow canvas over the definition: nodes, labelled edges, minimap, zoom, drop target. */
export const Canvas = memo(function Canvas({ definition, catalog, problems, highlight, readOnly, apply, onAdd, onRefuse }: Props) {
  const flow = useReactFlow();
  const drag = useRef(0);
  // Fit the view to a loaded graph once; an empty canvas starts at 100 % (no zoom onto the first node).
  const [fit] = useState(definition.nodes.length > 0);
  const latest = useRef(definition);
  latest.current = definition;
  const nodeTypes = useMemo(() => Object.fromEntries(catalog.nodes.map((n) => [n.type, NodeView])), [catalog]);
  const info = useMemo(() => ({ catalog, problems }), [catalog, problems]);
  const nodes = useMemo(
    () => (highlight ? definition.nodes.map((n) => (n.id === highlight ? { ...n, className: "wf-current" } : n)) : definition.nodes),
    [definition.nodes, highlight],
  ) as Node[];
  const edges = useMemo(
    () =>
      definition.edges.map((e) => {
        const label = handleLabel(e.sourceHandle);
        return { ...e, label: label || undefined, className: `wf-edge wf-edge-${e.sourceHandle ?? "default"}` };
      }),
    [definition.edges],
  ) as Edge[];

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      const allowed = readOnly ? changes.filter((c) => COSMETIC.has(c.type)) : changes.filter((c) => c.type !== "remove");
      if (!allowed.length) return;
      const undoable = allowed.some((c) => !COSMETIC.has(c.type));
      const key = allowed.some((c) => c.type === "position") ? `drag:${drag.current}` : null;
      apply((d) => ({ ...d, nodes: applyNodeChanges(allowed, d.nodes as Node[]) as Definition["nodes"] }), key, undoable);
    },
    [apply, readOnly],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const allowed = changes.filter((c) => c.type === "select");
      if (allowed.length) apply((d) => ({ ...d, edges: applyEdgeChanges(allowed, d.edges as Edge[]) as WfEdge[] }), null, false);
    },
    [apply],
  );
  const isValidConnection = useCallback(
    (c: Connection | Edge) => connectionProblem(latest.current, catalog, c) === null,
    [catalog],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      const problem = connectionProblem(latest.current, catalog, c);
      if (problem) {
        onRefuse(problem);
        return;
      }
      apply((d) => {
        const id = uniqueEdgeId(c.source, c.sourceHandle, c.target, new Set(d.edges.map((e) => e.id)));
        return { ...d, edges: [...d.edges, { id, source: c.source, target: c.target, sourceHandle: c.sourceHandle ?? "default" }] };
      });
    },
    [apply, catalog, onRefuse],
  );
  const onConnectEnd = useCallback(
    (_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid !== false || !state.fromNode || !state.toNode) return;
      const problem = connectionProblem(latest.current, catalog, {
        source: state.fromNode.id,
        target: state.toNode.id,
        sourceHandle: state.fromHandle?.id,
      });
      if (problem) onRefuse(problem);
    },
    [catalog, onRefuse],
  );
  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(DRAG_TYPE);
      if (!type || readOnly) return;
      event.preventDefault();
      onAdd(type, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [flow, onAdd, readOnly],
  );
  return (
    <CanvasContext.Provider value={info}>
      <div className="wf-canvas" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="canvas">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={onConnect}
          onConnectEnd={onConnectEnd}
          onNodeDragStart={() => {
            drag.current += 1;
          }}
          isValidConnection={isValidConnection}
          nodesDraggable={!readOnly}
          nodesConnectable={!readOnly}
          deleteKeyCode={null}
          selectionKeyCode="Shift"
          multiSelectionKeyCode={["Meta", "Control"]}
          fitView={fit}
          fitViewOptions={{ maxZoom: 1 }}
          defaultViewport={{ x: 0, y: 0, zoom: 1 }}
          minZoom={0.1}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={16} />
          <MiniMap pannable zoomable ariaLabel="Minimap" />
          <Controls />
        </ReactFlow>
      </div>
    </CanvasContext.Provider>
  );
});
