import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ReactFlowProvider, useReactFlow, type XYPosition } from "@xyflow/react";
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link, useBlocker, useParams } from "react-router-dom";
import { ApiError, get, patch, post, type Schemas } from "../api/client";
import { useCan } from "../auth";
import { ErrorBox, Loading } from "../components/Status";
import { Canvas, type Apply } from "./canvas/Canvas";
import { commit, redo, replace, seal, start, undo, type History } from "./canvas/history";
import { Palette } from "./canvas/Palette";
import {
  autoLayout,
  copySelection,
  initialData,
  newId,
  normalize,
  paste,
  problemsByNode,
  remove,
  toSaved,
  type Catalog,
  type Clip,
  type Definition,
  type Problem,
  type Workflow,
} from "./nodes";
import { Properties } from "./panel/Properties";
import { WorkflowSettings, eventFields } from "./panel/WorkflowSettings";
import type { FieldOption } from "./rules/RuleBuilder";
import { typeOfSample } from "./rules/model";
import "./workflows.css";

type Version = Schemas["WorkflowVersionPublic"];

export interface EditorProps {
  /** The simulator panel, rendered in the "Simulate" drawer; `onStep` highlights a node. */
  simulator?: (definition: Record<string, unknown>, onStep: (nodeId: string | null) => void) => ReactNode;
}

export const SHORTCUTS: [string, string][] = [
  ["Ctrl+Z", "Undo"],
  ["Ctrl+Shift+Z / Ctrl+Y", "Redo"],
  ["Ctrl+C", "Copy the selected nodes (with the edges between them)"],
  ["Ctrl+V", "Paste them (new ids)"],
  ["Delete / Backspace", "Delete the selected nodes and edges"],
  ["Ctrl+S", "Save the draft"],
  ["Shift+drag", "Select an area"],
];

/** The workflow editor: canvas, palette, properties panel, validation, saving. */
export default function Editor(props: EditorProps) {
  const { workflowId = "" } = useParams();
  const [generation, setGeneration] = useState(0);
  const workflow = useQuery({
    queryKey: ["workflow", workflowId],
    queryFn: () => get<Workflow>(`/workflows/${workflowId}`),
    staleTime: Infinity,
  });
  const catalog = useQuery({ queryKey: ["workflow-node-types"], queryFn: () => get<Catalog>("/workflow-node-types"), staleTime: Infinity });
  const samples = useQuery({
    queryKey: ["workflow-samples"],
    queryFn: () => get<Record<string, Record<string, unknown>>>("/workflow-samples"),
    staleTime: Infinity,
  });
  if (workflow.isPending || catalog.isPending) return <Loading label="Loading the workflow…" />;
  if (workflow.error) return <ErrorBox error={workflow.error} retry={() => void workflow.refetch()} />;
  if (catalog.error) return <ErrorBox error={catalog.error} retry={() => void catalog.refetch()} />;
  const reload = async () => {
    await workflow.refetch();
    setGeneration((g) => g + 1);
  };
  return (
    <ReactFlowProvider>
      <EditorBody
        key={`${workflow.data.id}:${generation}`}
        workflow={workflow.data}
        catalog={catalog.data}
        samples={samples.data ?? {}}
        simulator={props.simulator}
        reload={reload}
      />
    </ReactFlowProvider>
  );
}

interface BodyProps {
  workflow: Workflow;
  catalog: Catalog;
  samples: Record<string, Record<string, unknown>>;
  simulator: EditorProps["simulator"];
  reload: () => Promise<void>;
}

const isTyping = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));

function EditorBody({ workflow, catalog, samples, simulator, reload }: BodyProps) {
  const client = useQueryClient();
  const flow = useReactFlow();
  const canWrite = useCan("workflows:write");
  const readOnly = !canWrite;
  const [history, setHistory] = useState<History<Definition>>(() => start(normalize(workflow.definition)));
  const definition = history.present;
  // What is saved, validated and offered to the rule builder follows the canvas a frame
  // behind (deferred): a drag re-renders the canvas first, the rest when the browser is idle.
  const settled = useDeferredValue(definition);
  const savedText = useMemo(() => JSON.stringify(toSaved(settled)), [settled]);
  const [lastSaved, setLastSaved] = useState(savedText);
  const [revision, setRevision] = useState(workflow.draft_revision);
  const dirty = savedText !== lastSaved;
  // Saving takes the definition as it is now, not the deferred copy.
  const latest = useRef(definition);
  latest.current = definition;
  const currentText = () => JSON.stringify(toSaved(latest.current));
  const [problems, setProblems] = useState<Problem[]>([]);
  const [versionProblems, setVersionProblems] = useState<Problem[] | null>(null);
  const [notice, setNotice] = useState<{ kind: "ok" | "refused"; text: string } | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [notes, setNotes] = useState("");
  const [drawer, setDrawer] = useState(false);
  const [highlight, setHighlight] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const [jsonMode, setJsonMode] = useState(false);
  const clipboard = useRef<Clip | null>(null);

  const apply: Apply = useCallback((change, key = null, undoable = true) => {
    setHistory((h) => (undoable ? commit(h, change(h.present), key) : replace(h, change(h.present))));
  }, []);
  const say = useCallback((kind: "ok" | "refused", text: string) => setNotice({ kind, text }), []);
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), 6000);
    return () => clearTimeout(timer);
  }, [notice]);

  // Live validation of the draft, debounced; a newer answer replaces an older one.
  const sequence = useRef(0);
  useEffect(() => {
    const id = (sequence.current += 1);
    const timer = setTimeout(() => {
      post<{ problems: Problem[] }>("/workflows/validate", JSON.parse(savedText) as unknown)
        .then((r) => {
          if (id === sequence.current) setProblems(r.problems);
        })
        .catch(() => undefined);
    }, 500);
    return () => clearTimeout(timer);
  }, [savedText]);
  const byNode = useMemo(() => problemsByNode(definition.edges, problems), [definition.edges, problems]);

  // Unsaved changes: ask before leaving the page or the app.
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const saveDraft = useMutation({
    mutationFn: ({ base, text }: { base: number | null; text: string }) =>
      patch<Workflow>(`/workflows/${workflow.id}`, { definition: JSON.parse(text) as unknown, base_revision: base }),
    onSuccess: (saved, { text }) => {
      setRevision(saved.draft_revision);
      setLastSaved(text);
      setConflict(null);
      setHistory(seal);
      client.setQueryData(["workflow", workflow.id], saved);
      void client.invalidateQueries({ queryKey: ["workflows"] });
      say("ok", `Draft saved (revision ${saved.draft_revision}).`);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === "draft_conflict") setConflict(error.message);
    },
  });
  const save = useCallback(() => {
    if (!readOnly && !saveDraft.isPending) saveDraft.mutate({ base: revision, text: currentText() });
  }, [readOnly, revision, saveDraft]);
  const overwrite = async () => {
    const current = await get<Workflow>(`/workflows/${workflow.id}`);
    saveDraft.mutate({ base: current.draft_revision, text: currentText() });
  };
  const saveVersion = useMutation({
    mutationFn: async () => {
      const text = currentText();
      if (text !== lastSaved) await saveDraft.mutateAsync({ base: revision, text });
      return post<Version>(`/workflows/${workflow.id}/versions`, { notes });
    },
    onSuccess: (version) => {
      // A version is only made from a draft without errors: what is left are warnings.
      setProblems((found) => found.filter((p) => p.severity === "warning"));
      setVersionProblems(null);
      setNotes("");
      void client.invalidateQueries({ queryKey: ["workflow-versions", workflow.id] });
      say("ok", `Version ${version.number} saved.`);
    },
    onError: async (error) => {
      if (error instanceof ApiError && error.status === 422) {
        const found = await get<{ problems: Problem[] }>(`/workflows/${workflow.id}/problems`);
        setProblems(found.problems);
        setVersionProblems(found.problems);
      }
    },
  });

  const selected = definition.nodes.filter((n) => n.selected);
  const selectedEdges = definition.edges.filter((e) => e.selected);
  const addNode = useCallback(
    (type: string, position?: XYPosition) => {
      if (readOnly) return;
      let at = position;
      if (!at) {
        const rect = document.querySelector(".wf-canvas")?.getBoundingClientRect();
        const center = rect ? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 3 } : { x: 300, y: 200 };
        const shift = (definition.nodes.length % 5) * 30;
        at = flow.screenToFlowPosition({ x: center.x + shift, y: center.y + shift });
      }
      const nodeType = catalog.nodes.find((n) => n.type === type);
      apply((d) => {
        const id = newId(type, new Set(d.nodes.map((n) => n.id)));
        const node = { id, type, position: at, data: initialData(nodeType), selected: true };
        return { ...d, nodes: [...d.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node] };
      });
    },
    [apply, catalog, definition.nodes.length, flow, readOnly],
  );
  const deleteSelection = useCallback(() => {
    if (readOnly) return;
    apply((d) => remove(d, new Set(d.nodes.filter((n) => n.selected).map((n) => n.id)), new Set(d.edges.filter((e) => e.selected).map((e) => e.id))));
  }, [apply, readOnly]);
  const select = (nodeId: string) => {
    apply((d) => ({ ...d, nodes: d.nodes.map((n) => ({ ...n, selected: n.id === nodeId })) }), null, false);
    void flow.fitView({ nodes: [{ id: nodeId }], duration: 300, maxZoom: 1.2 });
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && key === "s") {
        event.preventDefault();
        save();
        return;
      }
      if (isTyping(event.target) || readOnly) return;
      if (mod && key === "z" && !event.shiftKey) setHistory(undo);
      else if (mod && ((key === "z" && event.shiftKey) || key === "y")) setHistory(redo);
      else if (mod && key === "c") {
        const now = latest.current;
        clipboard.current = copySelection(now, new Set(now.nodes.filter((n) => n.selected).map((n) => n.id)));
      }
      else if (mod && key === "v" && clipboard.current) {
        const clip = clipboard.current;
        apply((d) => paste(d, clip));
        clipboard.current = { nodes: clip.nodes.map((n) => ({ ...n, position: { x: n.position.x + 40, y: n.position.y + 40 } })), edges: clip.edges };
      } else if (event.key === "Delete" || event.key === "Backspace") deleteSelection();
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [apply, deleteSelection, readOnly, save]);

  const ruleFields = useMemo(() => fieldsOf(settled, catalog, samples), [settled, catalog, samples]);
  const variables = useMemo(
    () => [...ruleFields.map((f) => f.path), ...settled.nodes.map((n) => `nodes.${n.id}.output`), "instance.id"],
    [ruleFields, settled.nodes],
  );
  const fieldCtx = useMemo(
    () => ({
      variables,
      ruleFields,
      operators: catalog.operators,
      allOperators: catalog.all_operators,
      unary: catalog.unary_operators,
      readOnly,
    }),
    [variables, ruleFields, catalog, readOnly],
  );
  const one = selected.length === 1 ? selected[0] : null;
  const changeData = useCallback(
    (nodeId: string, data: Record<string, unknown>, field: string) =>
      apply((d) => ({ ...d, nodes: d.nodes.map((n) => (n.id === nodeId ? { ...n, data } : n)) }), `field:${nodeId}:${field}`),
    [apply],
  );
  const refuse = useCallback((reason: string) => say("refused", reason), [say]);
  const noProblems = useMemo(() => [], []);
  const errors = problems.filter((p) => p.severity !== "warning");

  return (
    <section className="wf-editor">
      <header className="wf-header">
        <div className="row flow">
          <Link to="/workflows" className="small">
            ← Workflows
          </Link>
          <h1>{workflow.name}</h1>
          <span className="badge">{workflow.bot}</span>
          <span className="muted small">revision {revision}</span>
          {dirty && <span className="badge s-waiting">unsaved changes</span>}
        </div>
        <nav className="row flow wf-links" aria-label="Workflow pages">
          <Link to={`/workflows/${workflow.id}/versions`}>Versions</Link>
          <Link to={`/workflows/${workflow.id}/runs`}>Runs</Link>
          <Link to={`/workflows/${workflow.id}/audit`}>Audit log</Link>
        </nav>
      </header>
      <div className="wf-toolbar row flow" role="toolbar" aria-label="Editor">
        {!readOnly && (
          <>
            <button type="button" className="secondary" onClick={() => setHistory(undo)} disabled={!history.past.length} title="Ctrl+Z">
              Undo
            </button>
            <button type="button" className="secondary" onClick={() => setHistory(redo)} disabled={!history.future.length} title="Ctrl+Shift+Z">
              Redo
            </button>
            <button type="button" className="secondary" onClick={() => apply(autoLayout)}>
              Auto-layout
            </button>
          </>
        )}
        <button type="button" className="secondary" onClick={() => void flow.fitView({ duration: 300 })}>
          Fit view
        </button>
        <button type="button" className="secondary" aria-pressed={jsonMode} onClick={() => setJsonMode(!jsonMode)}>
          {jsonMode ? "Canvas" : "JSON"}
        </button>
        <button type="button" className="secondary" aria-pressed={drawer} onClick={() => setDrawer(!drawer)}>
          Simulate
        </button>
        <span className="wf-help-wrap">
          <button type="button" className="secondary" aria-expanded={help} onClick={() => setHelp(!help)}>
            Shortcuts
          </button>
          {help && (
            <div className="wf-popover" role="dialog" aria-label="Keyboard shortcuts">
              <dl>
                {SHORTCUTS.map(([keys, what]) => (
                  <div key={keys}>
                    <dt>
                      <kbd>{keys}</kbd>
                    </dt>
                    <dd>{what}</dd>
                  </div>
                ))}
              </dl>
            </div>
          )}
        </span>
        <span className={errors.length ? "wf-validity bad" : "wf-validity ok"} aria-live="polite">
          {errors.length ? `${errors.length} problem${errors.length > 1 ? "s" : ""}` : "valid"}
        </span>
        {!readOnly && (
          <span className="row wf-save">
            <button type="button" onClick={save} disabled={saveDraft.isPending || !dirty}>
              Save draft
            </button>
            <input aria-label="Version notes" placeholder="Version notes" maxLength={4000} value={notes} onChange={(e) => setNotes(e.target.value)} />
            <button type="button" className="secondary" onClick={() => saveVersion.mutate()} disabled={saveVersion.isPending}>
              Save version
            </button>
          </span>
        )}
      </div>
      {notice && (
        <div className={notice.kind === "ok" ? "status" : "status error"} role={notice.kind === "ok" ? "status" : "alert"} data-testid="notice">
          {notice.kind === "refused" && <strong>Connection refused: </strong>}
          {notice.text}
        </div>
      )}
      {conflict && (
        <div className="status error wf-conflict" role="alert" aria-label="Save conflict">
          <strong>Someone else changed this draft.</strong> {conflict}
          <div className="row">
            <button type="button" onClick={() => void reload()}>
              Reload (discard my changes)
            </button>
            <button type="button" className="danger" onClick={() => void overwrite()}>
              Overwrite with mine
            </button>
          </div>
        </div>
      )}
      {saveDraft.error && !conflict && <ErrorBox error={saveDraft.error} />}
      {saveVersion.error && !(saveVersion.error instanceof ApiError && saveVersion.error.status === 422) && <ErrorBox error={saveVersion.error} />}
      {versionProblems && (
        <div className="status error" role="alert" aria-label="Version problems">
          <strong>The version was not saved: the draft has {versionProblems.length} problem{versionProblems.length === 1 ? "" : "s"}.</strong>
          <ProblemList problems={versionProblems} onSelect={select} />
        </div>
      )}
      <div className={drawer ? "wf-body with-drawer" : "wf-body"}>
        <Palette catalog={catalog} onAdd={(type) => addNode(type)} disabled={readOnly} />
        {jsonMode ? (
          <DefinitionJson definition={definition} readOnly={readOnly} onApply={(next) => apply(() => next)} />
        ) : (
          <Canvas
            definition={definition}
            catalog={catalog}
            problems={byNode}
            highlight={highlight}
            readOnly={readOnly}
            apply={apply}
            onAdd={addNode}
            onRefuse={refuse}
          />
        )}
        <div className="wf-side">
          {one ? (
            <Properties
              key={one.id}
              nodeId={one.id}
              type={one.type}
              data={one.data}
              nodeType={catalog.nodes.find((n) => n.type === one.type)}
              problems={byNode.get(one.id) ?? noProblems}
              ctx={fieldCtx}
              onChange={changeData}
              onDelete={deleteSelection}
            />
          ) : selected.length > 1 ? (
            <div className="wf-properties">
              <p>{selected.length} nodes selected.</p>
              {!readOnly && (
                <button type="button" className="danger" onClick={deleteSelection}>
                  Delete them
                </button>
              )}
            </div>
          ) : (
            <WorkflowSettings
              workflowId={workflow.id}
              definition={definition}
              catalog={catalog}
              readOnly={readOnly}
              onChange={(change, field) => apply((d) => ({ ...d, ...change }), `workflow:${field}`)}
            />
          )}
          {selectedEdges.length > 0 && !readOnly && (
            <div className="wf-properties">
              <p className="small">
                {selectedEdges.length} edge{selectedEdges.length > 1 ? "s" : ""} selected.
              </p>
              <button type="button" className="danger" onClick={deleteSelection}>
                Delete edge{selectedEdges.length > 1 ? "s" : ""}
              </button>
            </div>
          )}
          {problems.length > 0 && (
            <details className="wf-properties" open={problems.length < 6}>
              <summary>
                {problems.length} problem{problems.length > 1 ? "s" : ""} in the draft
              </summary>
              <ProblemList problems={problems} onSelect={select} />
            </details>
          )}
        </div>
        {drawer && (
          <aside className="wf-drawer" aria-label="Simulator">
            <div className="row between">
              <h2>Simulate</h2>
              <button
                type="button"
                className="link"
                onClick={() => {
                  setDrawer(false);
                  setHighlight(null);
                }}
              >
                Close
              </button>
            </div>
            {simulator ? simulator(JSON.parse(savedText) as Record<string, unknown>, setHighlight) : <p className="muted">The simulator is not part of this build.</p>}
          </aside>
        )}
      </div>
      {blocker.state === "blocked" && (
        <div className="wf-modal" role="dialog" aria-label="Unsaved changes">
          <div className="card">
            <p>
              <strong>This draft has unsaved changes.</strong> Leave without saving them?
            </p>
            <div className="row">
              <button type="button" className="danger" onClick={() => blocker.proceed()}>
                Leave without saving
              </button>
              <button type="button" onClick={() => blocker.reset()}>
                Stay
              </button>
            </div>
          </div>
        </div>
      )}
    </section>
  );
}

function ProblemList({ problems, onSelect }: { problems: Problem[]; onSelect: (nodeId: string) => void }) {
  return (
    <ul className="wf-problems">
      {problems.map((p, i) => (
        <li key={i} className={p.severity === "warning" ? "warn" : "error"}>
          {p.node_id ? (
            <button type="button" className="link" onClick={() => onSelect(p.node_id as string)}>
              {p.node_id}
            </button>
          ) : null}{" "}
          {p.message}
        </li>
      ))}
    </ul>
  );
}

/** The whole definition as JSON: applied only when it parses and has the definition's shape. */
function DefinitionJson({ definition, readOnly, onApply }: { definition: Definition; readOnly: boolean; onApply: (d: Definition) => void }) {
  const [text, setText] = useState(() => JSON.stringify(toSaved(definition), null, 2));
  const [problem, setProblem] = useState<string | null>(null);
  const applyText = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      setProblem(`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const shape = parsed as Record<string, unknown>;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) setProblem("The definition must be a JSON object.");
    else if (shape.nodes !== undefined && !Array.isArray(shape.nodes)) setProblem("nodes must be a list.");
    else if (shape.edges !== undefined && !Array.isArray(shape.edges)) setProblem("edges must be a list.");
    else if (shape.triggers !== undefined && !Array.isArray(shape.triggers)) setProblem("triggers must be a list.");
    else {
      setProblem(null);
      onApply(normalize(shape));
    }
  };
  return (
    <div className="wf-canvas wf-json">
      <textarea aria-label="Definition JSON" spellCheck={false} value={text} readOnly={readOnly} onChange={(e) => setText(e.target.value)} />
      {problem && (
        <div className="status error" role="alert">
          {problem} Nothing was applied.
        </div>
      )}
      {!readOnly && (
        <button type="button" onClick={applyText}>
          Apply JSON
        </button>
      )}
    </div>
  );
}

/** The fields the rule builder offers: trigger payloads, entity samples, workflow variables. */
function fieldsOf(definition: Definition, catalog: Catalog, samples: Record<string, Record<string, unknown>>): FieldOption[] {
  const fields = new Map<string, FieldOption>();
  for (const trigger of definition.triggers) {
    if (trigger.type === "event") for (const f of eventFields(catalog, trigger.event)) fields.set(f.path, f);
  }
  for (const [entity, sample] of Object.entries(samples)) {
    for (const [name, value] of Object.entries(sample)) {
      const path = `input.${name}`;
      if (!fields.has(path)) fields.set(path, { path, type: typeOfSample(value), source: `${entity} sample` });
    }
  }
  for (const [name, value] of Object.entries(definition.variables)) {
    fields.set(`vars.${name}`, { path: `vars.${name}`, type: typeOfSample(value), source: "variable" });
  }
  for (const node of definition.nodes) {
    const assigned = Array.isArray(node.data.assignments) ? (node.data.assignments as { name?: string }[]) : [];
    const names = [...assigned.map((a) => a.name), node.data.output_variable as string | undefined];
    for (const name of names) {
      if (name && !fields.has(`vars.${name}`)) fields.set(`vars.${name}`, { path: `vars.${name}`, type: "string", source: `set by ${node.id}` });
    }
  }
  return [...fields.values()];
}
