import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { get, post } from "../api/client";
import { useCan, useMe } from "../auth";
import { ErrorBox, Loading } from "../components/Status";
import { Gantt } from "./Gantt";
import { pretty, when, type RunDetail as Detail, type Step, type Timeline } from "./ops/api";
import { StatusBadge } from "./ops/Header";
import { useWho } from "./ops/members";
import { formatDuration } from "./ops/scale";
import "./ops/ops.css";

const FINISHED = ["completed", "failed", "cancelled"];
const SKIPPABLE = ["waiting", "retrying", "failed"];
/** After this long without a visible change, a queued operation is polled less often. */
const PENDING_SECONDS = 20;

/** What changes when a queued operation has been applied to the run. */
function fingerprint(run: Detail): string {
  const steps = (run.steps ?? []).map((s) => `${s.seq}:${s.status}`).join(",");
  return `${run.status}|${steps}|${(run.waiting ?? []).length}`;
}

interface Pending {
  label: string;
  before: string;
}

/** A string field of a JSON object, or "". */
function requiresMfa(data: unknown): boolean {
  return Boolean(data && typeof data === "object" && (data as Record<string, unknown>).require_mfa);
}

function textOf(data: unknown, key: string): string {
  const value = data && typeof data === "object" ? (data as Record<string, unknown>)[key] : undefined;
  return typeof value === "string" ? value : "";
}

/** A run's or a step's error in words: its message, or who cancelled it. */
export function errorText(error: Record<string, unknown>, who: (id: string) => string): string {
  if (typeof error.message === "string" && error.message) return error.message;
  if (error.class === "cancelled") return typeof error.by === "string" ? `cancelled by ${who(error.by)}` : "cancelled";
  return String(error.class ?? "failed");
}

function StepDetails({ step }: { step: Step }) {
  const who = useWho();
  return (
    <section className="panel" aria-label="Step details" data-testid="run-step-detail">
      <h2>
        Step {step.seq}: {step.node_id} <span className="muted">({step.node_type})</span>
      </h2>
      <dl className="wf-facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={step.status} />
        </dd>
        <dt>Handle taken</dt>
        <dd>{step.handle ?? "—"}</dd>
        <dt>Attempts</dt>
        <dd>{step.attempts}</dd>
        <dt>Started</dt>
        <dd>{when(step.started_at)}</dd>
        <dt>Finished</dt>
        <dd>{when(step.finished_at)}</dd>
        <dt>Duration</dt>
        <dd>
          {step.finished_at ? formatDuration(Date.parse(step.finished_at) - Date.parse(step.started_at)) : "—"}
        </dd>
        {step.explanation && (
          <>
            <dt>Explanation</dt>
            <dd>{step.explanation}</dd>
          </>
        )}
        {step.skip_reason && (
          <>
            <dt>Skipped</dt>
            <dd>
              {step.skip_reason} <span className="muted">by {who(step.skipped_by)}</span>
            </dd>
          </>
        )}
      </dl>
      {step.error && (
        <div className="status error" role="alert">
          <strong>Error:</strong> {String(step.error.message ?? "")}{" "}
          <span className="muted">({String(step.error.class ?? "error")})</span>
        </div>
      )}
      <div className="wf-json-pair">
        <div className="wf-json">
          <h4>Inputs</h4>
          <pre>{pretty(step.input)}</pre>
        </div>
        <div className="wf-json">
          <h4>Outputs</h4>
          <pre>{pretty(step.output)}</pre>
        </div>
      </div>
    </section>
  );
}

/** One run: its Gantt timeline, per-step details and the operations the role allows. */
export default function RunDetail() {
  const { instanceId = "" } = useParams();
  const canRun = useCan("workflows:run");
  const canApprove = useCan("workflows:approve");
  const mfaLogin = useMe().mfa?.session ?? false;
  const [selected, setSelected] = useState<number | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [slow, setSlow] = useState(false);
  const [reason, setReason] = useState("");
  const [comment, setComment] = useState("");
  const [now, setNow] = useState(() => Date.now());
  const who = useWho();
  const live = (status?: string) => Boolean(pending) || (status !== undefined && !FINISHED.includes(status));
  const run = useQuery({
    queryKey: ["workflow-run", instanceId],
    queryFn: () => get<Detail>(`/workflow-instances/${instanceId}`),
    refetchInterval: (q) => (pending && !slow ? 500 : live(q.state.data?.status) ? 2000 : false),
  });
  // The timeline follows the run: a new step or status in the run fetches it again.
  const timeline = useQuery({
    queryKey: ["workflow-run", instanceId, "timeline", run.data ? fingerprint(run.data) : ""],
    queryFn: () => get<Timeline>(`/workflow-instances/${instanceId}/timeline`),
    enabled: Boolean(run.data),
    placeholderData: keepPreviousData,
  });
  // The run changed since the operation was posted: it applied. Derived here, so the page
  // never shows the new state beside the old "waiting" notice; the effect then forgets it.
  const applied = Boolean(pending && run.data && fingerprint(run.data) !== pending.before);
  const waiting = applied ? null : pending;
  useEffect(() => {
    if (applied) {
      setPending(null);
      setSlow(false);
    }
  }, [applied]);
  useEffect(() => {
    if (!pending) return undefined;
    const timer = window.setTimeout(() => setSlow(true), PENDING_SECONDS * 1000);
    return () => window.clearTimeout(timer);
  }, [pending]);
  useEffect(() => {
    setNow(Date.now());
  }, [timeline.data]);

  const act = useMutation({
    mutationFn: ({ path, body }: { label: string; path: string; body?: unknown }) =>
      post(`/workflow-instances/${instanceId}/${path}`, body ?? {}),
    onSuccess: (_, { label }) => {
      if (run.data) setPending({ label, before: fingerprint(run.data) });
      setReason("");
      setComment("");
      void run.refetch();
    },
  });

  if (run.isPending) return <Loading />;
  if (run.error) return <ErrorBox error={run.error} retry={() => void run.refetch()} />;
  const detail = run.data;
  const step = (detail.steps ?? []).find((s) => s.seq === selected) ?? null;
  const finished = FINISHED.includes(detail.status);
  const approvals = (detail.waiting ?? []).filter((w) => w.kind === "approval");
  const canSkip = step !== null && SKIPPABLE.includes(step.status);
  const canRetry = detail.status === "failed";
  // Another operation waits for the last one to show, unless that one seems not to apply.
  const busy = act.isPending || (Boolean(waiting) && !slow);
  const skip = (event: FormEvent) => {
    event.preventDefault();
    if (step) act.mutate({ label: `Skip ${step.node_id}`, path: `skip-node/${step.node_id}`, body: { reason } });
  };
  return (
    <div className="wf-page">
      <header className="wf-header">
        <p className="muted small">
          <Link to="/workflows">Workflows</Link> / <Link to={`/workflows/${detail.workflow_id}/runs`}>Runs</Link>
        </p>
        <h1>
          Run <span className="mono">{detail.id}</span> <StatusBadge status={detail.status} />
        </h1>
      </header>
      <dl className="wf-facts">
        <dt>Trigger</dt>
        <dd>{detail.trigger_type}</dd>
        <dt>Started</dt>
        <dd>{when(detail.started_at)}</dd>
        <dt>Finished</dt>
        <dd>{when(detail.finished_at)}</dd>
        {detail.entity_type && (
          <>
            <dt>Entity</dt>
            <dd>
              {detail.entity_type} {detail.entity_id}
            </dd>
          </>
        )}
      </dl>
      {detail.error && (
        <div className="status error" role="alert">
          <strong>{detail.status === "cancelled" ? "Cancelled:" : "Error:"}</strong> {errorText(detail.error, who)}
        </div>
      )}
      {waiting && (
        <div className="status" role="status" data-testid="run-pending">
          <span className="spinner" aria-hidden="true" /> {waiting.label}: queued, waiting for the run to apply it…
          {slow && ` Nothing has changed for ${PENDING_SECONDS} s (it may not apply at this point); still checking.`}
        </div>
      )}
      {act.error && <ErrorBox error={act.error} />}
      <div className="row wrap" aria-label="Run actions">
        {canRun && !finished && (
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() =>
              window.confirm("Cancel this run? Its waits and timers are dropped.") &&
              act.mutate({ label: "Cancel", path: "cancel" })
            }
          >
            Cancel run
          </button>
        )}
      </div>
      {canApprove &&
        approvals.map((w) => (
          <section key={String(w.node_id)} className="panel" aria-label={`Approval at ${String(w.node_id)}`}>
            <h2>
              {textOf(w.data, "title") || "Approval needed"} <span className="muted">({String(w.node_id)})</span>
            </h2>
            {textOf(w.data, "message") && <p>{textOf(w.data, "message")}</p>}
            {requiresMfa(w.data) && (
              <p className="muted">
                Requires a login with two-factor authentication
                {mfaLogin ? "." : ": log in again with your authenticator code to decide it (Account security sets it up)."}
              </p>
            )}
            <label>
              Comment <input value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} />
            </label>
            <div className="row wrap">
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  act.mutate({ label: "Approve", path: `approvals/${String(w.node_id)}`, body: { decision: "approve", comment } })
                }
              >
                Approve
              </button>
              <button
                type="button"
                className="danger"
                disabled={busy}
                onClick={() =>
                  act.mutate({ label: "Reject", path: `approvals/${String(w.node_id)}`, body: { decision: "reject", comment } })
                }
              >
                Reject
              </button>
            </div>
          </section>
        ))}
      <section className="panel" aria-label="Timeline">
        <h2>Timeline</h2>
        {timeline.isPending && <Loading />}
        {timeline.error && <ErrorBox error={timeline.error} />}
        {timeline.data && (
          <>
            <p data-testid="run-summary">
              {timeline.data.total_steps} step(s), {Math.round(timeline.data.success_rate * 100)}% succeeded, total{" "}
              {timeline.data.duration_ms !== null && timeline.data.duration_ms !== undefined
                ? formatDuration(timeline.data.duration_ms)
                : `${formatDuration(now - Date.parse(timeline.data.started_at))} so far`}
            </p>
            {timeline.data.entries.length === 0 ? (
              <p className="muted">No step yet.</p>
            ) : (
              <Gantt timeline={timeline.data} selected={selected} onSelect={setSelected} now={now} />
            )}
            <p className="muted small">Click a bar for the step's details.</p>
          </>
        )}
      </section>
      {step && <StepDetails step={step} />}
      {step && canRun && (canSkip || canRetry) && (
        <section className="panel" aria-label="Step actions">
          <h2>Operate on {step.node_id}</h2>
          {canSkip && (
            <form className="row wrap" onSubmit={skip} aria-label="Skip node">
              <label>
                Reason <input required maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} />
              </label>
              <button type="submit" className="secondary" disabled={busy}>
                Skip node
              </button>
            </form>
          )}
          {canRetry && (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() =>
                window.confirm(`Run again from ${step.node_id}?`) &&
                act.mutate({ label: `Retry from ${step.node_id}`, path: "retry", body: { node_id: step.node_id } })
              }
            >
              Retry from this node
            </button>
          )}
        </section>
      )}
      {finished && detail.output !== null && detail.output !== undefined && (
        <section className="panel" aria-label="Output">
          <h2>Output</h2>
          <pre>{pretty(detail.output)}</pre>
        </section>
      )}
    </div>
  );
}
