import { useRef, useState } from "react";

/** The `{{ ` prefix being typed before the caret, if any (what autocomplete completes). */
export function openTemplate(text: string, caret: number): string | null {
  const before = text.slice(0, caret);
  const start = before.lastIndexOf("{{");
  if (start < 0 || before.indexOf("}}", start) >= 0) return null;
  return before.slice(start + 2).trimStart();
}

/** `text` with the open `{{ partial` before `caret` completed to `{{ variable }}`. */
export function complete(text: string, caret: number, variable: string): { text: string; caret: number } {
  const start = text.slice(0, caret).lastIndexOf("{{");
  const rest = text.slice(caret);
  const closes = rest.trimStart().startsWith("}}");
  const inserted = `{{ ${variable} }}`;
  const after = closes ? rest.trimStart().slice(2) : rest;
  return { text: text.slice(0, start) + inserted + after, caret: start + inserted.length };
}

interface Props {
  value: string;
  onChange: (value: string) => void;
  variables: string[];
  multiline?: boolean;
  label: string;
  readOnly?: boolean;
  placeholder?: string;
}

/** A text field with `{{variable}}` autocomplete: type `{{` to pick a variable. */
export function TemplateInput({ value, onChange, variables, multiline, label, readOnly, placeholder }: Props) {
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [partial, setPartial] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const matches = partial === null ? [] : variables.filter((v) => v.toLowerCase().includes(partial.toLowerCase())).slice(0, 8);
  const track = (text: string, caret: number | null) => {
    setPartial(caret === null ? null : openTemplate(text, caret));
    setActive(0);
  };
  const pick = (variable: string) => {
    const el = ref.current;
    const caret = el?.selectionStart ?? value.length;
    const next = complete(value, caret, variable);
    onChange(next.text);
    setPartial(null);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(next.caret, next.caret);
    });
  };
  const common = {
    ref,
    value,
    readOnly,
    placeholder,
    "aria-label": label,
    "aria-autocomplete": "list" as const,
    onChange: (e: { target: { value: string; selectionStart: number | null } }) => {
      onChange(e.target.value);
      track(e.target.value, e.target.selectionStart);
    },
    onBlur: () => setTimeout(() => setPartial(null), 150),
    onKeyDown: (e: React.KeyboardEvent) => {
      if (!matches.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setActive((a) => (a + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length);
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(matches[active]);
      } else if (e.key === "Escape") setPartial(null);
    },
  };
  return (
    <span className="wf-template-input">
      {multiline ? <textarea rows={3} {...common} /> : <input {...common} />}
      {matches.length > 0 && (
        <ul className="wf-suggest" role="listbox" aria-label="Variables">
          {matches.map((v, i) => (
            <li key={v} role="option" aria-selected={i === active} className={i === active ? "on" : ""} onMouseDown={(e) => {
              e.preventDefault();
              pick(v);
            }}>
              {v}
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
