import { useInfiniteQuery, useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { get, post } from "../api/client";
import { useCan } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { getVersions, localToIso, parseObject, when, workflowKey, type Run } from "./ops/api";
import { StatusBadge, WorkflowHeader } from "./ops/Header";
import { formatDuration } from "./ops/scale";
import "./ops/ops.css";

const PAGE = 25;
const RUN_STATUSES = ["running", "waiting", "completed", "failed", "cancelled"];

interface Filters {
  status: string;
  version: string;
  from: string;
  to: string;
}

function StartRun({ workflowId }: { workflowId: string }) {
  const navigate = useNavigate();
  const [input, setInput] = useState("");
  const [invalid, setInvalid] = useState("");
  const start = useMutation({
    mutationFn: (body: Record<string, unknown>) => post<Run>(`/workflows/${workflowId}/runs`, { input: body }),
    onSuccess: (run) => navigate(`/workflow-runs/${run.id}`),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseObject(input);
    setInvalid(parsed.error ?? "");
    if (parsed.value) start.mutate(parsed.value);
  };
  return (
    <form className="form panel" onSubmit={submit} aria-label="Start a run">
      <h2>Start a run</h2>
      <label>
        Input (JSON, optional)
        <textarea rows={3} value={input} onChange={(e) => setInput(e.target.value)} spellCheck={false} />
      </label>
      {invalid && (
        <div className="status error" role="alert">
          {invalid}
        </div>
      )}
      {start.error && <ErrorBox error={start.error} />}
      <div className="row">
        <button type="submit" disabled={start.isPending}>
          Start run
        </button>
      </div>
    </form>
  );
}

/** The workflow's runs, newest first, with filters and a "more" button. */
export default function Runs() {
  const { workflowId = "" } = useParams();
  const canRun = useCan("workflows:run");
  const [filters, setFilters] = useState<Filters>({ status: "", version: "", from: "", to: "" });
  const versions = useQuery({ queryKey: [...workflowKey(workflowId), "versions"], queryFn: () => getVersions(workflowId) });
  const numberOf = new Map((versions.data ?? []).map((v) => [v.id, v.number]));
  const runs = useInfiniteQuery({
    queryKey: ["workflow-runs", workflowId, filters],
    initialPageParam: 0,
    queryFn: ({ pageParam }) =>
      get<Run[]>("/workflow-instances", {
        workflow_id: workflowId,
        status: filters.status,
        version_id: filters.version,
        started_from: localToIso(filters.from),
        started_to: localToIso(filters.to),
        limit: PAGE,
        offset: pageParam,
      }),
    getNextPageParam: (last, pages) => (last.length === PAGE ? pages.length * PAGE : undefined),
    refetchInterval: 5000,
  });
  const list = runs.data?.pages.flat() ?? [];
  const set = (key: keyof Filters) => (value: string) => setFilters({ ...filters, [key]: value });
  return (
    <div className="wf-page">
      <WorkflowHeader workflowId={workflowId} title="Runs" />
      <form className="row wrap filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status{" "}
          <select value={filters.status} onChange={(e) => set("status")(e.target.value)}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Version{" "}
          <select value={filters.version} onChange={(e) => set("version")(e.target.value)}>
            <option value="">any</option>
            {(versions.data ?? []).map((v) => (
              <option key={v.id} value={v.id}>
                v{v.number}
              </option>
            ))}
          </select>
        </label>
        <label>
          Started from <input type="datetime-local" value={filters.from} onChange={(e) => set("from")(e.target.value)} />
        </label>
        <label>
          to <input type="datetime-local" value={filters.to} onChange={(e) => set("to")(e.target.value)} />
        </label>
      </form>
      {runs.isPending && <Loading />}
      {runs.error && <ErrorBox error={runs.error} retry={() => void runs.refetch()} />}
      {runs.data && list.length === 0 && <Empty>No run matches.</Empty>}
      {list.length > 0 && (
        <div className="scroll">
          <table aria-label="Runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Version</th>
                <th>Trigger</th>
                <th>Started</th>
                <th>Duration</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-testid="wf-run">
                  <td>
                    <Link to={`/workflow-runs/${r.id}`} className="mono">
                      {r.id}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>v{numberOf.get(r.version_id) ?? "?"}</td>
                  <td>{r.trigger_type}</td>
                  <td>{when(r.started_at)}</td>
                  <td>
                    {r.finished_at
                      ? formatDuration(Date.parse(r.finished_at) - Date.parse(r.started_at))
                      : <span className="muted">—</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {runs.hasNextPage && (
        <button type="button" className="secondary" disabled={runs.isFetchingNextPage} onClick={() => void runs.fetchNextPage()}>
          {runs.isFetchingNextPage ? "Loading…" : "More"}
        </button>
      )}
      {canRun && <StartRun workflowId={workflowId} />}
    </div>
  );
}
