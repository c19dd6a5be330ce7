import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { get } from "../api/client";
import { ErrorBox, Loading } from "../components/Status";
import { short, type Definition, type Diff, type EdgeRef, type NodeRef, type ParamChange, type Version } from "./ops/api";
import { foldRows, lineDiff, sideBySide, stableJson, type Cell } from "./ops/linediff";

type Tab = "nodes" | "transitions" | "raw";
type Mark = "added" | "removed" | "modified";

const MARKS: Record<Mark, string> = { added: "+ added", removed: "− removed", modified: "~ modified" };

/** A change marker: a word and a sign, not colour alone. */
function Marker({ mark }: { mark: Mark }) {
  return <span className={`wf-mark wf-mark-${mark}`}>{MARKS[mark]}</span>;
}

function ParamList({ changes }: { changes: ParamChange[] }) {
  return (
    <ul className="wf-params">
      {changes.map((c, i) => (
        <li key={`${c.path}-${i}`} data-testid="wf-param-change">
          <code>{c.path}</code>{" "}
          {c.kind === "changed" && (
            <>
              <span className="wf-old">{short(c.old)}</span> → <span className="wf-new">{short(c.new)}</span>
            </>
          )}
          {c.kind === "added" && (
            <>
              <Marker mark="added" /> <span className="wf-new">{short(c.new)}</span>
            </>
          )}
          {c.kind === "removed" && (
            <>
              <Marker mark="removed" /> <span className="wf-old">{short(c.old)}</span>
            </>
          )}
          {c.kind === "reordered" && (
            <>
              <span className="muted">reordered:</span> <span className="wf-old">{short(c.old)}</span> →{" "}
              <span className="wf-new">{short(c.new)}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

const nodeName = (n: NodeRef) => (n.label ? `${n.label} (${n.id})` : n.id);

function NodesTab({ diff }: { diff: Diff }) {
  const changed = diff.nodes_changed.filter((c) => !c.cosmetic);
  const moved = diff.nodes_changed.filter((c) => c.cosmetic);
  const other = [
    ...diff.triggers_added.map((t) => ({ mark: "added" as Mark, text: `trigger ${short(t)}`, changes: [] })),
    ...diff.triggers_removed.map((t) => ({ mark: "removed" as Mark, text: `trigger ${short(t)}`, changes: [] })),
    ...diff.triggers_changed.map((t) => ({ mark: "modified" as Mark, text: `trigger #${t.index + 1} (${t.type ?? "?"})`, changes: t.changes })),
  ];
  const empty = !diff.nodes_added.length && !diff.nodes_removed.length && !diff.nodes_changed.length;
  return (
    <div className="wf-diff-list">
      {empty && <p className="muted">No node differs.</p>}
      <ul>
        {diff.nodes_added.map((n) => (
          <li key={`a-${n.id}`} className="wf-row-added" data-testid="wf-node-added">
            <Marker mark="added" /> <strong>{nodeName(n)}</strong> <span className="muted">{n.type}</span>
          </li>
        ))}
        {diff.nodes_removed.map((n) => (
          <li key={`r-${n.id}`} className="wf-row-removed" data-testid="wf-node-removed">
            <Marker mark="removed" /> <strong>{nodeName(n)}</strong> <span className="muted">{n.type}</span>
          </li>
        ))}
        {changed.map((c) => (
          <li key={`c-${c.id}`} className="wf-row-modified" data-testid="wf-node-modified">
            <Marker mark="modified" /> <strong>{c.id}</strong> <span className="muted">{c.type}</span>
            {c.type_change && (
              <p>
                type <span className="wf-old">{short(c.type_change.old)}</span> →{" "}
                <span className="wf-new">{short(c.type_change.new)}</span>
              </p>
            )}
            <ParamList changes={c.params} />
          </li>
        ))}
      </ul>
      {moved.length > 0 && (
        <p className="muted small">Moved only (layout): {moved.map((c) => c.id).join(", ")}</p>
      )}
      {(other.length > 0 || diff.variables.length > 0 || diff.settings.length > 0) && (
        <>
          <h3>Triggers, variables and settings</h3>
          <ul>
            {other.map((o, i) => (
              <li key={i} className={`wf-row-${o.mark}`}>
                <Marker mark={o.mark} /> {o.text}
                {o.changes.length > 0 && <ParamList changes={o.changes} />}
              </li>
            ))}
          </ul>
          {diff.variables.length > 0 && <ParamList changes={diff.variables} />}
          {diff.settings.length > 0 && <ParamList changes={diff.settings} />}
        </>
      )}
    </div>
  );
}

const edgeText = (e: EdgeRef) => `${e.source ?? "?"} → ${e.target ?? "?"}${e.handle !== "default" ? ` (${e.handle})` : ""}`;

function TransitionsTab({ diff }: { diff: Diff }) {
  if (!diff.edges_added.length && !diff.edges_removed.length && !diff.edges_changed.length) {
    return <p className="muted">No transition differs.</p>;
  }
  return (
    <ul className="wf-diff-list">
      {diff.edges_added.map((e) => (
        <li key={`a-${e.id}`} className="wf-row-added" data-testid="wf-edge-added">
          <Marker mark="added" /> {edgeText(e)} <span className="muted">{e.id}</span>
        </li>
      ))}
      {diff.edges_removed.map((e) => (
        <li key={`r-${e.id}`} className="wf-row-removed" data-testid="wf-edge-removed">
          <Marker mark="removed" /> {edgeText(e)} <span className="muted">{e.id}</span>
        </li>
      ))}
      {diff.edges_changed.map((e) => (
        <li key={`c-${e.id}`} className="wf-row-modified">
          <Marker mark="modified" /> {e.id}
          {e.old_id && <span className="muted"> (was {e.old_id})</span>}
          <ParamList changes={e.changes} />
        </li>
      ))}
    </ul>
  );
}

function Line({ cell }: { cell: Cell | null }) {
  if (!cell) return <td className="wf-line wf-line-none" colSpan={2} />;
  const sign = cell.kind === "added" ? "+" : cell.kind === "removed" ? "−" : " ";
  return (
    <>
      <td className="wf-lineno">{cell.no}</td>
      <td className={`wf-line wf-line-${cell.kind}`}>
        <span className="wf-sign" aria-label={cell.kind === "same" ? undefined : cell.kind}>
          {sign}
        </span>
        {cell.text}
      </td>
    </>
  );
}

function RawTab({ before, after }: { before: Definition; after: Definition }) {
  const rows = useMemo(
    () => sideBySide(lineDiff(stableJson(before).split("\n"), stableJson(after).split("\n"))),
    [before, after],
  );
  const [opened, setOpened] = useState<Set<number>>(new Set());
  const changed = rows.filter((r) => r.left?.kind !== "same").length;
  const items = foldRows(rows, 3);
  return (
    <div className="scroll">
      <p className="muted small">{changed ? `${changed} line(s) differ.` : "The JSON is the same."}</p>
      <table className="wf-raw" data-testid="wf-raw-diff">
        <colgroup>
          <col className="wf-col-no" />
          <col />
          <col className="wf-col-no" />
          <col />
        </colgroup>
        <tbody>
          {items.flatMap((item) =>
            "row" in item
              ? [
                  <tr key={item.index}>
                    <Line cell={item.row.left} />
                    <Line cell={item.row.right} />
                  </tr>,
                ]
              : opened.has(item.fold)
                ? rows.slice(item.fold, item.fold + item.count).map((r, k) => (
                    <tr key={item.fold + k}>
                      <Line cell={r.left} />
                      <Line cell={r.right} />
                    </tr>
                  ))
                : [
                    <tr key={`fold-${item.fold}`} className="wf-fold">
                      <td colSpan={4}>
                        <button type="button" className="link" onClick={() => setOpened(new Set(opened).add(item.fold))}>
                          Show {item.count} unchanged lines
                        </button>
                      </td>
                    </tr>,
                  ],
          )}
        </tbody>
      </table>
    </div>
  );
}

export interface DiffViewProps {
  workflowId: string;
  versions: Version[];
  draft: Definition;
  from: string;
  to: string;
  onChange: (from: string, to: string) => void;
}

/** The difference between two versions, or a version and the draft: nodes, transitions, raw JSON. */
export function DiffView({ workflowId, versions, draft, from, to, onChange }: DiffViewProps) {
  const [tab, setTab] = useState<Tab>("nodes");
  const diff = useQuery({
    queryKey: ["workflow-diff", workflowId, from, to],
    queryFn: () => get<Diff>(`/workflows/${workflowId}/diff`, { from, to }),
    enabled: Boolean(from && to),
  });
  const definitionOf = (ref: string): Definition =>
    ref === "draft" ? draft : ((versions.find((v) => v.id === ref)?.definition as Definition | undefined) ?? {});
  const options = versions.map((v) => (
    <option key={v.id} value={v.id}>
      Version {v.number}
    </option>
  ));
  const summary = diff.data?.summary;
  return (
    <section className="panel" aria-label="Compare">
      <h2>Compare</h2>
      <div className="row wrap">
        <label>
          From{" "}
          <select aria-label="From" value={from} onChange={(e) => onChange(e.target.value, to)}>
            {options}
          </select>
        </label>
        <label>
          To{" "}
          <select aria-label="To" value={to} onChange={(e) => onChange(from, e.target.value)}>
            {options}
            <option value="draft">Draft</option>
          </select>
        </label>
      </div>
      {summary && (
        <p className="small" data-testid="wf-diff-summary">
          {summary.unchanged
            ? "No change (only positions may differ)."
            : `${summary.nodes_added} node(s) added, ${summary.nodes_removed} removed, ${summary.nodes_changed} modified; ` +
              `${summary.edges_added} transition(s) added, ${summary.edges_removed} removed, ${summary.edges_changed} modified.`}
        </p>
      )}
      <div role="tablist" aria-label="Diff views" className="wf-tablist">
        {(
          [
            ["nodes", "Nodes"],
            ["transitions", "Transitions"],
            ["raw", "Raw JSON"],
          ] as [Tab, string][]
        ).map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="tab"
            aria-selected={tab === key}
            className={tab === key ? "" : "secondary"}
            onClick={() => setTab(key)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={tab === "raw" ? "Raw JSON" : tab === "nodes" ? "Nodes" : "Transitions"}>
        {diff.isPending && <Loading />}
        {diff.error && <ErrorBox error={diff.error} retry={() => void diff.refetch()} />}
        {diff.data && tab === "nodes" && <NodesTab diff={diff.data} />}
        {diff.data && tab === "transitions" && <TransitionsTab diff={diff.data} />}
        {tab === "raw" && <RawTab before={definitionOf(from)} after={definitionOf(to)} />}
      </div>
    </section>
  );
}
