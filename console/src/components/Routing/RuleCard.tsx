import type { Rule } from "./RuleForm";
import { summarize } from "./summary";

interface Props {
  rule: Rule;
  canWrite: boolean;
  busy: boolean;
  onToggle: (enabled: boolean) => void;
  onEdit: () => void;
  onDelete: () => void;
}

/** One routing rule: name, priority, handler, whether it is on, and its conditions on one line. */
export function RuleCard({ rule, canWrite, busy, onToggle, onEdit, onDelete }: Props) {
  const summary = summarize(rule.conditions);
  return (
    <li className="card" data-testid="routing-rule">
      <div className="row between flow">
        <strong>{rule.name}</strong>
        <span className="row flow small">
          <span className="muted">priority {rule.priority}</span>
          <span className="badge" data-testid="rule-handler">
            → {rule.handler}
          </span>
          <label className="inline">
            <input
              type="checkbox"
              aria-label={`Enabled: ${rule.name}`}
              checked={rule.enabled}
              disabled={!canWrite || busy}
              onChange={(e) => onToggle(e.target.checked)}
            />
            {rule.enabled ? "enabled" : "disabled"}
          </label>
        </span>
      </div>
      <p className="one-line mono small" title={summary} data-testid="rule-summary">
        {summary}
      </p>
      {canWrite && (
        <div className="row">
          <button type="button" className="secondary" onClick={onEdit}>
            Edit
          </button>
          <button type="button" className="danger" onClick={onDelete} disabled={busy}>
            Delete
          </button>
        </div>
      )}
    </li>
  );
}
