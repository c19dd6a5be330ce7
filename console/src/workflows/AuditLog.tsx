import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { useParams } from "react-router-dom";
import { get } from "../api/client";
import type { operations } from "../api/schema";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { localToIso, pretty, when, type AuditPage, type Verification } from "./ops/api";
import { WorkflowHeader } from "./ops/Header";
import { useWho } from "./ops/members";
import "./ops/ops.css";

const PAGE = 25;
type AuditEventType = NonNullable<
  NonNullable<operations["workflows-list_audit_log"]["parameters"]["query"]>["event_type"]
>;
/** Every key the API's event_type filter accepts (a record: the compiler flags a missing one). */
const EVENT_TYPE_SET: Record<AuditEventType, true> = {
  created: true,
  modified: true,
  version_created: true,
  activated: true,
  deactivated: true,
  variants_changed: true,
  deleted: true,
  copied: true,
  installed: true,
  webhook_rotated: true,
  instance_cancelled: true,
  node_skipped: true,
  instance_retried: true,
};
export const EVENT_TYPES = Object.keys(EVENT_TYPE_SET) as AuditEventType[];

interface Filters {
  event_type: string;
  from: string;
  to: string;
}

/** The query string of the filters, shared by the list and the CSV link. */
export function auditQuery(filters: Filters): Record<string, string> {
  const query: Record<string, string> = {};
  if (filters.event_type) query.event_type = filters.event_type;
  const from = localToIso(filters.from);
  const to = localToIso(filters.to);
  if (from) query.from = from;
  if (to) query.to = to;
  return query;
}

function Chain({ workflowId }: { workflowId: string }) {
  const verify = useQuery({
    queryKey: ["workflow-audit", workflowId, "verify"],
    queryFn: () => get<Verification>(`/workflows/${workflowId}/audit-log/verify`),
  });
  if (verify.isPending) return <Loading label="Verifying the chain…" />;
  if (verify.error) return <ErrorBox error={verify.error} />;
  const v = verify.data;
  return v.ok ? (
    <div className="status wf-chain-ok" role="status" data-testid="audit-verify">
      ✓ Chain intact: {v.entries} entries verified.{" "}
      {v.head_hash && <span className="muted small mono">head {v.head_hash.slice(0, 16)}…</span>}
    </div>
  ) : (
    <div className="status error" role="alert" data-testid="audit-verify">
      ✗ Chain broken at entry {v.broken_at_seq ?? "?"}: {v.reason} ({v.entries} entries checked)
    </div>
  );
}

/** The workflow's audit log: filters, paging, expandable entries, chain check, CSV export. */
export default function AuditLog() {
  const { workflowId = "" } = useParams();
  const [filters, setFilters] = useState<Filters>({ event_type: "", from: "", to: "" });
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const who = useWho();
  const query = auditQuery(filters);
  const page = useQuery({
    queryKey: ["workflow-audit", workflowId, query, offset],
    queryFn: () => get<AuditPage>(`/workflows/${workflowId}/audit-log`, { ...query, offset, limit: PAGE }),
  });
  const set = (key: keyof Filters) => (value: string) => {
    setFilters({ ...filters, [key]: value });
    setOffset(0);
  };
  const exportUrl = `/api/v1/workflows/${workflowId}/audit-log/export?${new URLSearchParams(query).toString()}`;
  const total = page.data?.total ?? 0;
  return (
    <div className="wf-page">
      <WorkflowHeader workflowId={workflowId} title="Audit log" />
      <Chain workflowId={workflowId} />
      <form className="row wrap filters" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <label>
          Event type{" "}
          <select value={filters.event_type} onChange={(e) => set("event_type")(e.target.value)}>
            <option value="">any</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          From <input type="datetime-local" value={filters.from} onChange={(e) => set("from")(e.target.value)} />
        </label>
        <label>
          To <input type="datetime-local" value={filters.to} onChange={(e) => set("to")(e.target.value)} />
        </label>
        <a className="wf-button-link" href={exportUrl} download>
          Export CSV
        </a>
      </form>
      {page.isPending && <Loading />}
      {page.error && <ErrorBox error={page.error} retry={() => void page.refetch()} />}
      {page.data && page.data.items.length === 0 && <Empty>No audit entry matches.</Empty>}
      {page.data && page.data.items.length > 0 && (
        <div className="scroll">
          <table aria-label="Audit entries">
            <thead>
              <tr>
                <th>#</th>
                <th>When</th>
                <th>Event</th>
                <th>Category</th>
                <th>Actor</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((e) => (
                <Fragment key={e.id}>
                  <tr data-testid="audit-entry">
                    <td>{e.seq}</td>
                    <td>{when(e.at)}</td>
                    <td>
                      <code>{e.event_type}</code>
                    </td>
                    <td>{e.category}</td>
                    <td className="wrap">{who(e.actor)}</td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        aria-expanded={open === e.id}
                        aria-controls={`audit-${e.id}`}
                        onClick={() => setOpen(open === e.id ? null : e.id)}
                      >
                        {open === e.id ? "Hide details" : "Details"}
                      </button>
                    </td>
                  </tr>
                  {open === e.id && (
                    <tr id={`audit-${e.id}`}>
                      <td colSpan={6}>
                        <pre data-testid="audit-details">{pretty(e.details)}</pre>
                        <p className="muted small mono wrap">
                          hash {e.hash} · previous {e.prev_hash}
                        </p>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page.data && total > PAGE && (
        <div className="row">
          <button type="button" className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE, total)} of {total}
          </span>
          <button
            type="button"
            className="secondary"
            disabled={offset + PAGE >= total}
            onClick={() => setOffset(offset + PAGE)}
          >
            Older
          </button>
        </div>
      )}
      {page.data && total <= PAGE && total > 0 && <p className="muted small">{total} entries.</p>}
    </div>
  );
}
