import { useId, useMemo, useState } from "react";
import {
  depthOf,
  emptyGroup,
  emptyRule,
  MAX_DEPTH,
  OPERATOR_LABELS,
  parseValue,
  problemsOf,
  showValue,
  toJson,
  toModel,
  update,
  type Logical,
  type RuleGroupNode,
  type RuleLeaf,
  type RuleNode,
  type ValueType,
} from "./model";

/** A field the picker offers: a path the engine resolves, its type and where it comes from. */
export interface FieldOption {
  path: string;
  type: ValueType;
  source: string;
}

interface Props {
  value: Record<string, unknown> | null | undefined;
  onChange: (json: Record<string, unknown>) => void;
  fields: FieldOption[];
  operators: Record<string, string[]>;
  allOperators: string[];
  unary: string[];
  readOnly?: boolean;
  label?: string;
}

/** Nested AND / OR / NOT groups in the engine's rule JSON, with a JSON view for advanced edits. */
export function RuleBuilder(props: Props) {
  const { value, onChange, readOnly } = props;
  const json = useMemo(() => value ?? { logical: "AND", conditions: [] }, [value]);
  const [model, setModel] = useState<RuleGroupNode>(() => toModel(json));
  const [source, setSource] = useState(json);
  const [mode, setMode] = useState<"ui" | "json">("ui");
  const [text, setText] = useState("");
  const [problems, setProblems] = useState<string[]>([]);
  const listId = useId();
  // A new value from outside (undo, another node): rebuild the model.
  let current = model;
  if (json !== source) {
    current = toModel(json);
    setModel(current);
    setSource(json);
  }
  const commit = (next: RuleGroupNode) => {
    const out = toJson(next);
    setModel(next);
    setSource(out);
    onChange(out);
  };
  const openJson = () => {
    setText(JSON.stringify(toJson(current), null, 2));
    setProblems([]);
    setMode("json");
  };
  const applyJson = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      setProblems([`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
      return;
    }
    const found = problemsOf(parsed, props.allOperators, props.unary);
    if (found.length) {
      setProblems(found);
      return;
    }
    setProblems([]);
    commit(toModel(parsed as Record<string, unknown>));
    setMode("ui");
  };
  return (
    <div className="wf-rules" aria-label={props.label ?? "Rules"}>
      <div className="row between">
        <strong className="small">{props.label ?? "Rules"}</strong>
        <div className="row">
          <button type="button" className={mode === "ui" ? "tab on" : "tab"} onClick={() => setMode("ui")} disabled={mode === "ui"}>
            Builder
          </button>
          <button type="button" className={mode === "json" ? "tab on" : "tab"} onClick={openJson} disabled={mode === "json"}>
            JSON
          </button>
        </div>
      </div>
      {mode === "ui" ? (
        <>
          <datalist id={listId}>
            {props.fields.map((f) => (
              <option key={f.path} value={f.path}>
                {f.source} · {f.type}
              </option>
            ))}
          </datalist>
          <Group node={current} root={current} depth={1} listId={listId} props={props} commit={commit} readOnly={readOnly} />
        </>
      ) : (
        <div className="wf-json">
          <textarea
            aria-label="Rules JSON"
            spellCheck={false}
            rows={12}
            value={text}
            readOnly={readOnly}
            onChange={(e) => setText(e.target.value)}
          />
          {problems.length > 0 && (
            <div className="status error" role="alert">
              <strong>This JSON is not applied:</strong>
              <ul>
                {problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          )}
          {!readOnly && (
            <div className="row">
              <button type="button" onClick={applyJson}>
                Apply JSON
              </button>
              <button type="button" className="secondary" onClick={() => setMode("ui")}>
                Cancel
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

interface NodeProps {
  root: RuleGroupNode;
  depth: number;
  listId: string;
  props: Props;
  commit: (next: RuleGroupNode) => void;
  readOnly?: boolean;
}

function Group({ node, root, depth, listId, props, commit, readOnly }: NodeProps & { node: RuleGroupNode }) {
  const logical = String(node.data.logical ?? "AND").toUpperCase() as Logical;
  const set = (change: (n: RuleNode) => RuleNode | null) => commit(update(root, node.key, change));
  const add = (child: RuleNode) => set((n) => (n.kind === "group" ? { ...n, children: [...n.children, child] } : n));
  const canNest = depth + depthOf(emptyGroup()) <= MAX_DEPTH;
  return (
    <fieldset className={`wf-group wf-${logical.toLowerCase()}`}>
      <legend className="row">
        <select
          aria-label="Group logic"
          value={logical}
          disabled={readOnly}
          onChange={(e) => set((n) => ({ ...n, data: { ...n.data, logical: e.target.value } }))}
        >
          <option value="AND">ALL of (AND)</option>
          <option value="OR">ANY of (OR)</option>
          <option value="NOT">NOT (not all of)</option>
        </select>
        {depth > 1 && !readOnly && (
          <button type="button" className="link" aria-label="Remove group" onClick={() => set(() => null)}>
            Remove group
          </button>
        )}
      </legend>
      {node.children.length === 0 && <p className="muted small">No conditions: an empty AND group is always true.</p>}
      {node.children.map((child) =>
        child.kind === "group" ? (
          <Group key={child.key} node={child} root={root} depth={depth + 1} listId={listId} props={props} commit={commit} readOnly={readOnly} />
        ) : (
          <Rule key={child.key} node={child} root={root} depth={depth} listId={listId} props={props} commit={commit} readOnly={readOnly} />
        ),
      )}
      {!readOnly && (
        <div className="row">
          <button type="button" className="secondary" onClick={() => add(emptyRule(props.fields[0]?.path ?? ""))}>
            + Rule
          </button>
          {canNest && (
            <button type="button" className="secondary" onClick={() => add(emptyGroup("AND"))}>
              + Group
            </button>
          )}
        </div>
      )}
    </fieldset>
  );
}

function Rule({ node, root, listId, props, commit, readOnly }: NodeProps & { node: RuleLeaf }) {
  const field = String(node.data.field ?? "");
  const operator = String(node.data.operator ?? "equals");
  const declared = (node.data.value_type ?? node.data.valueType) as ValueType | undefined;
  const type: ValueType = declared ?? props.fields.find((f) => f.path === field)?.type ?? "string";
  const offered = props.operators[type] ?? props.allOperators;
  const operators = offered.includes(operator) ? offered : [...offered, operator];
  const set = (data: Record<string, unknown>) => commit(update(root, node.key, (n) => ({ ...n, data: { ...n.data, ...data } })));
  const unary = props.unary.includes(operator);
  return (
    <div className="wf-rule row flow" role="group" aria-label={`Rule ${field || "(no field)"}`}>
      <input
        aria-label="Field"
        list={listId}
        placeholder="trigger.text"
        value={field}
        readOnly={readOnly}
        onChange={(e) => set({ field: e.target.value })}
      />
      <select
        aria-label="Operator"
        value={operator}
        disabled={readOnly}
        onChange={(e) => {
          const next = e.target.value;
          if (props.unary.includes(next)) {
            const { value: _drop, ...rest } = node.data;
            void _drop;
            commit(update(root, node.key, (n) => ({ ...n, data: { ...rest, operator: next } })));
          } else if (next === "between") set({ operator: next, value: ["", ""] });
          else set({ operator: next, value: node.data.value ?? "" });
        }}
      >
        {operators.map((op) => (
          <option key={op} value={op}>
            {OPERATOR_LABELS[op] ?? op}
          </option>
        ))}
      </select>
      {!unary && <ValueInput type={type} operator={operator} value={node.data.value} readOnly={readOnly} onChange={(value) => set({ value })} />}
      {!readOnly && (
        <button type="button" className="link" aria-label={`Remove rule ${field}`} onClick={() => commit(update(root, node.key, () => null))}>
          ✕
        </button>
      )}
    </div>
  );
}

function ValueInput(props: {
  type: ValueType;
  operator: string;
  value: unknown;
  readOnly?: boolean;
  onChange: (value: unknown) => void;
}) {
  const { type, operator, value, readOnly, onChange } = props;
  const inputType = type === "number" ? "number" : type === "date" ? "datetime-local" : "text";
  if (operator === "between") {
    const pair = Array.isArray(value) && value.length === 2 ? value : ["", ""];
    const at = (i: number, text: string) => {
      const next = [...pair];
      next[i] = parseValue(text, type, "equals");
      onChange(next);
    };
    return (
      <span className="row">
        <input aria-label="From" type={inputType} value={showValue(pair[0])} readOnly={readOnly} onChange={(e) => at(0, e.target.value)} />
        <span className="muted">and</span>
        <input aria-label="To" type={inputType} value={showValue(pair[1])} readOnly={readOnly} onChange={(e) => at(1, e.target.value)} />
      </span>
    );
  }
  if (type === "boolean" && operator !== "in" && operator !== "not_in") {
    return (
      <select aria-label="Value" value={showValue(value)} disabled={readOnly} onChange={(e) => onChange(parseValue(e.target.value, type, operator))}>
        <option value="">—</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  }
  const list = operator === "in" || operator === "not_in";
  return (
    <input
      aria-label="Value"
      type={list ? "text" : inputType}
      placeholder={list ? "a, b, c" : "value or {{ vars.x }}"}
      value={showValue(value)}
      readOnly={readOnly}
      onChange={(e) => onChange(parseValue(e.target.value, type, operator))}
    />
  );
}
