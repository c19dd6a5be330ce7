import { useMutation, useQuery } from "@tanstack/react-query";
import { Fragment, useEffect, useState, type FormEvent, type JSX } from "react";
import { get } from "../api/client";
import { ErrorBox, Loading } from "../components/Status";
import { parseObject, pretty, ProblemsError, simulate, type SimulateBody, type Trace, type TraceStep } from "./ops/api";
import "./ops/ops.css";

type Source = "sample" | "json";

function Problems({ error }: { error: unknown }) {
  if (!(error instanceof ProblemsError) || !error.problems.length) return <ErrorBox error={error} />;
  return (
    <div className="status error" role="alert">
      <strong>Error:</strong> {error.message}
      <ul>
        {error.problems.map((p, i) => (
          <li key={i}>
            {p.node_id ? <code>{p.node_id}</code> : null} {p.message ?? p.code}
          </li>
        ))}
      </ul>
    </div>
  );
}

function JsonBox({ label, value }: { label: string; value: unknown }) {
  return (
    <div className="wf-json">
      <h4>{label}</h4>
      <pre>{pretty(value)}</pre>
    </div>
  );
}

function StepDetail({ trace, step }: { trace: Trace; step: TraceStep }) {
  const effects = trace.effects.filter((e) => e.node_id === step.node_id);
  const waits = trace.waits.filter((w) => w.node_id === step.node_id);
  return (
    <div className="wf-step-detail" data-testid="sim-step-detail">
      <h3>
        <span data-testid="sim-current-node">{step.node_id}</span> <span className="muted">({step.node_type})</span>
      </h3>
      <dl className="wf-facts">
        <dt>Status</dt>
        <dd className={`wf-text-${step.status}`}>{step.status}</dd>
        <dt>Handle taken</dt>
        <dd data-testid="sim-handle">{step.handle ?? "—"}</dd>
        <dt>Virtual time</dt>
        <dd>{new Date(step.at).toLocaleString()}</dd>
        {step.explanation && (
          <>
            <dt>Explanation</dt>
            <dd data-testid="sim-explanation">{step.explanation}</dd>
          </>
        )}
      </dl>
      {step.error && (
        <div className="status error" role="alert" data-testid="sim-step-error">
          <strong>Failed here:</strong> {String(step.error.message ?? "")}{" "}
          <span className="muted">({String(step.error.class ?? "error")})</span>
        </div>
      )}
      <div className="wf-json-pair">
        <JsonBox label="Config" value={step.input} />
        <JsonBox label="Output" value={step.output} />
      </div>
      {effects.length > 0 && (
        <>
          <h4>Side effects it would have had</h4>
          <ul data-testid="sim-effects">
            {effects.map((e, i) => (
              <li key={i}>
                <strong>{e.effect}</strong>
                <pre>{pretty(e.request)}</pre>
              </li>
            ))}
          </ul>
        </>
      )}
      {waits.length > 0 && (
        <>
          <h4>Waits</h4>
          <ul>
            {waits.map((w, i) => (
              <li key={i}>
                waited for {w.kind}, answered by <strong>{w.answer}</strong>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function TraceView({ trace, onStep }: { trace: Trace; onStep: (nodeId: string | null) => void }) {
  const failedAt = trace.steps.findIndex((s) => s.status === "failed");
  const [index, setIndex] = useState(failedAt >= 0 ? failedAt : 0);
  const step = trace.steps[index];
  useEffect(() => {
    onStep(step ? step.node_id : null);
  }, [step, onStep]);
  return (
    <div className="wf-trace" aria-label="Trace" role="region">
      <p data-testid="sim-outcome">
        Outcome: <strong className={`wf-text-${trace.status}`}>{trace.status}</strong> in {trace.steps.length} step(s),{" "}
        {Math.round(trace.elapsed_virtual_seconds)} s of virtual time.
      </p>
      {trace.error && (
        <div className="status error" role="alert">
          <strong>The run failed</strong>
          {failedAt >= 0 ? ` at ${trace.steps[failedAt].node_id}` : ""}: {String(trace.error.message ?? "")}
        </div>
      )}
      <p className="wf-path" data-testid="sim-path">
        Path:{" "}
        {trace.path.map((id, i) => (
          <Fragment key={i}>
            {i > 0 && " → "}
            <span className={step && id === step.node_id ? "wf-path-current" : undefined}>{id}</span>
          </Fragment>
        ))}
      </p>
      <div className="row">
        <button type="button" className="secondary" disabled={index <= 0} onClick={() => setIndex(index - 1)}>
          Previous
        </button>
        <span>
          Step {trace.steps.length ? index + 1 : 0} of {trace.steps.length}
        </span>
        <button
          type="button"
          className="secondary"
          disabled={index >= trace.steps.length - 1}
          onClick={() => setIndex(index + 1)}
        >
          Next
        </button>
      </div>
      <div className="wf-trace-body">
        <ol className="wf-steps" aria-label="Steps">
          {trace.steps.map((s, i) => (
            <li key={s.seq}>
              <button
                type="button"
                className={`link wf-step wf-text-${s.status}`}
                aria-current={i === index ? "step" : undefined}
                onClick={() => setIndex(i)}
              >
                {s.seq}. {s.node_id} <span className="muted">{s.node_type}</span>
                {s.handle && s.handle !== "default" ? ` → ${s.handle}` : ""}
              </button>
            </li>
          ))}
        </ol>
        {step && <StepDetail trace={trace} step={step} />}
      </div>
      <JsonBox label="Output of the run" value={trace.output} />
    </div>
  );
}

export interface SimulatorPanelProps {
  workflowId: string;
  /** The definition to simulate (the editor's current graph); null or undefined: the saved draft. */
  definition: unknown;
  /** Called with the node id of the step shown (null when there is none). */
  onStep: (nodeId: string | null) => void;
}

/** Runs a definition on sample data, side-effect free, and steps through the trace. */
export function SimulatorPanel({ workflowId, definition, onStep }: SimulatorPanelProps): JSX.Element {
  const samples = useQuery({
    queryKey: ["workflow-samples"],
    queryFn: () => get<Record<string, Record<string, unknown>>>("/workflow-samples"),
  });
  const [source, setSource] = useState<Source>("sample");
  const [entity, setEntity] = useState("");
  const [pasted, setPasted] = useState("");
  const [trigger, setTrigger] = useState("");
  const [responses, setResponses] = useState("");
  const [events, setEvents] = useState("");
  const [approvals, setApprovals] = useState("");
  const [invalid, setInvalid] = useState<string[]>([]);
  const run = useMutation({ mutationFn: (body: SimulateBody) => simulate(workflowId, body) });
  const types = Object.keys(samples.data ?? {});
  const chosen = entity || types[0] || "";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const input = source === "json" ? parseObject(pasted) : { value: undefined };
    const parsed = {
      input,
      trigger: parseObject(trigger),
      responses: parseObject(responses),
      events: parseObject(events),
      approvals: parseObject(approvals),
    };
    const errors = Object.entries(parsed)
      .filter(([, p]) => p.error)
      .map(([name, p]) => `${name}: ${p.error}`);
    if (source === "json" && !pasted.trim()) errors.push("input: paste a JSON object, or pick a sample.");
    setInvalid(errors);
    if (errors.length) return;
    const body: SimulateBody = {
      trigger: parsed.trigger.value,
      responses: parsed.responses.value,
      events: parsed.events.value,
      approvals: parsed.approvals.value,
    };
    if (definition !== null && definition !== undefined) body.definition = definition;
    if (source === "json") body.input = parsed.input.value;
    else body.entity_type = chosen;
    onStep(null);
    run.mutate(body);
  };

  return (
    <section className="wf-simulator" aria-label="Simulator">
      <form className="form" onSubmit={submit} aria-label="Simulation input">
        <fieldset className="wf-fieldset">
          <legend>Input</legend>
          <label className="check">
            <input type="radio" name="sim-source" checked={source === "sample"} onChange={() => setSource("sample")} />
            Sample data
          </label>
          <label className="check">
            <input type="radio" name="sim-source" checked={source === "json"} onChange={() => setSource("json")} />
            Pasted JSON
          </label>
          {source === "sample" && (
            <>
              {samples.isPending && <Loading label="Loading samples…" />}
              {samples.error && <ErrorBox error={samples.error} />}
              {samples.data && (
                <label>
                  Entity type
                  <select value={chosen} onChange={(e) => setEntity(e.target.value)}>
                    {types.map((t) => (
                      <option key={t} value={t}>
                        {t}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              {samples.data && chosen && <pre className="wf-sample">{pretty(samples.data[chosen])}</pre>}
            </>
          )}
          {source === "json" && (
            <label>
              Input JSON
              <textarea rows={5} value={pasted} onChange={(e) => setPasted(e.target.value)} spellCheck={false} />
            </label>
          )}
        </fieldset>
        <label>
          Trigger payload (JSON, optional)
          <textarea rows={3} value={trigger} onChange={(e) => setTrigger(e.target.value)} spellCheck={false} />
        </label>
        <label>
          Recorded responses for HTTP / LLM nodes (JSON by node id, optional)
          <textarea rows={3} value={responses} onChange={(e) => setResponses(e.target.value)} spellCheck={false} />
        </label>
        <details>
          <summary>Answers for waits (optional)</summary>
          <label>
            Events received by wait nodes (JSON by node id; a wait without one takes its timeout)
            <textarea rows={3} value={events} onChange={(e) => setEvents(e.target.value)} spellCheck={false} />
          </label>
          <label>
            Approval decisions (JSON by node id: "approve" or "reject"; default approve)
            <textarea rows={2} value={approvals} onChange={(e) => setApprovals(e.target.value)} spellCheck={false} />
          </label>
        </details>
        {invalid.length > 0 && (
          <div className="status error" role="alert">
            <strong>Not sent:</strong>
            <ul>
              {invalid.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          </div>
        )}
        <div className="row">
          <button type="submit" disabled={run.isPending}>
            {run.isPending ? "Simulating…" : "Run simulation"}
          </button>
        </div>
      </form>
      {run.error && <Problems error={run.error} />}
      {run.data && <TraceView key={run.submittedAt} trace={run.data} onStep={onStep} />}
    </section>
  );
}
