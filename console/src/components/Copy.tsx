import { useState } from "react";

/** A value shown as text with a button that copies it to the clipboard. */
export function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div className="copy">
      <span className="muted small">{label}</span>
      <code className="wrap" data-testid={`copy-${label}`}>
        {value}
      </code>
      <button type="button" className="secondary" onClick={copy} aria-label={`Copy ${label}`}>
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
