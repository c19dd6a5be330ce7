import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { post, type Schemas } from "../../api/client";
import { ErrorBox } from "../Status";
import type { Rule } from "./RuleForm";

type Route = Schemas["TestOut"];

interface Analysis {
  language?: string;
  language_assumed?: boolean;
  intent?: { name: string | null; confidence: number; out_of_scope: boolean } | null;
  sentiment?: { score: number; label: string };
}

function intentOf(analysis: Analysis): string {
  const intent = analysis.intent;
  if (!intent) return "no active model";
  const confidence = `${Math.round(intent.confidence * 100)}%`;
  return intent.out_of_scope || !intent.name ? `out of scope (${confidence})` : `${intent.name} (${confidence})`;
}

/** The dry run: where a first message with this text would go, and why (nothing is sent). */
export function TryMessage({ rules }: { rules: Rule[] }) {
  const [text, setText] = useState("");
  const route = useMutation({ mutationFn: (body: { text: string }) => post<Route>("/routing/test", body) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    route.mutate({ text });
  };
  const result = route.data;
  const analysis = (result?.analysis ?? {}) as Analysis;
  const rule = result?.rule_id ? rules.find((r) => r.id === result.rule_id) : undefined;
  return (
    <section className="panel" aria-label="Try a message">
      <h2>Try a message</h2>
      <form className="row flow" onSubmit={submit}>
        <input aria-label="Message to try" required maxLength={10000} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={route.isPending}>
          Try
        </button>
      </form>
      {route.error && <ErrorBox error={route.error} />}
      {result && (
        <dl className="analysis" data-testid="route">
          <dt>Handler</dt>
          <dd data-testid="route-handler">{result.handler ?? "none: no reply"}</dd>
          <dt>Reason</dt>
          <dd data-testid="route-reason">{result.reason ?? "—"}</dd>
          <dt>Rule</dt>
          <dd data-testid="route-rule">{result.rule_id ? (rule?.name ?? result.rule_id) : "—"}</dd>
          <dt>Explanation</dt>
          <dd className="pre">{result.explanation ?? "—"}</dd>
          <dt>Fallbacks</dt>
          <dd>{result.fallbacks.length ? result.fallbacks.join(" → ") : "none"}</dd>
          <dt>Language</dt>
          <dd>
            {analysis.language ?? "—"}
            {analysis.language_assumed ? " (assumed)" : ""}
          </dd>
          <dt>Intent</dt>
          <dd>{intentOf(analysis)}</dd>
          <dt>Sentiment</dt>
          <dd>{analysis.sentiment ? `${analysis.sentiment.label} (${analysis.sentiment.score.toFixed(2)})` : "—"}</dd>
        </dl>
      )}
    </section>
  );
}
