/** The widget's stylesheet, scoped to its shadow root; ``:host`` resets what the page would pass in. */
export const STYLES = `
:host { all: initial; }
:host {
  --fd-accent: #2563eb;
  --fd-accent-text: #ffffff;
  --fd-bg: #ffffff;
  --fd-fg: #111827;
  --fd-muted: #6b7280;
  --fd-bubble: #f3f4f6;
  --fd-error: #b91c1c;
  position: fixed; bottom: 20px; right: 20px; z-index: 2147483000;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fd-fg);
}
:host([data-position="left"]) { right: auto; left: 20px; }
*, *::before, *::after { box-sizing: border-box; }
.fd-panel, .fd-launcher {
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fd-fg); letter-spacing: normal; text-align: left; text-transform: none;
}
.fd-launcher { color: var(--fd-accent-text); }
button, textarea { font: inherit; color: inherit; }
.fd-visually-hidden {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.fd-launcher {
  width: 56px; height: 56px; border-radius: 50%; border: 0; cursor: pointer;
  background: var(--fd-accent); color: var(--fd-accent-text);
  box-shadow: 0 6px 20px rgba(0,0,0,.2); display: grid; place-items: center;
}
.fd-launcher { position: relative; }
.fd-launcher svg { width: 26px; height: 26px; fill: currentColor; }
.fd-badge {
  position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; padding: 0 5px;
  border-radius: 10px; background: var(--fd-error); color: #fff; font-size: 12px; font-weight: 700;
  line-height: 20px; text-align: center;
}
.fd-badge[hidden] { display: none; }
:focus-visible { outline: 3px solid var(--fd-accent); outline-offset: 2px; }
.fd-panel {
  position: absolute; bottom: 72px; right: 0; width: 360px; height: min(560px, calc(100vh - 110px));
  display: flex; flex-direction: column; background: var(--fd-bg); border-radius: 14px;
  box-shadow: 0 12px 40px rgba(0,0,0,.22); overflow: hidden;
}
:host([data-position="left"]) .fd-panel { right: auto; left: 0; }
.fd-panel[hidden] { display: none; }
.fd-header {
  display: flex; align-items: center; justify-content: space-between; gap: 8px;
  padding: 12px 14px; background: var(--fd-accent); color: var(--fd-accent-text);
}
.fd-title { margin: 0; font-size: 16px; font-weight: 600; }
.fd-close {
  border: 0; background: transparent; color: inherit; cursor: pointer; font-size: 22px;
  line-height: 1; width: 32px; height: 32px; border-radius: 6px;
}
.fd-log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 8px; }
.fd-msg { max-width: 85%; display: flex; flex-direction: column; gap: 6px; }
.fd-mine { align-self: flex-end; align-items: flex-end; }
.fd-theirs { align-self: flex-start; }
.fd-text {
  margin: 0; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere;
  background: var(--fd-bubble);
}
.fd-mine .fd-text { background: var(--fd-accent); color: var(--fd-accent-text); }
.fd-pending .fd-text { opacity: .65; }
.fd-failed .fd-text { outline: 2px solid var(--fd-error); }
.fd-note { font-size: 12px; color: var(--fd-muted); }
.fd-failed .fd-note { color: var(--fd-error); }
.fd-greeting .fd-text { background: var(--fd-bubble); }
.fd-image {
  align-self: flex-start; max-width: 100%; max-height: 240px; object-fit: contain; border-radius: 10px;
}
.fd-file { align-self: flex-start; color: var(--fd-accent); word-break: break-all; }
.fd-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.fd-list-item { display: flex; flex-direction: column; }
.fd-list-title { margin: 0; font-weight: 600; }
.fd-list-item-desc { font-size: 13px; color: var(--fd-muted); }
.fd-actions { display: flex; flex-wrap: wrap; gap: 6px; }
.fd-action {
  border: 1px solid var(--fd-accent); color: var(--fd-accent); background: var(--fd-bg);
  border-radius: 16px; padding: 5px 12px; cursor: pointer; text-align: left;
}
.fd-action:hover { background: var(--fd-bubble); }
.fd-status { min-height: 20px; padding: 0 14px; font-size: 13px; color: var(--fd-muted); }
.fd-error {
  display: flex; gap: 8px; align-items: center; margin: 0 14px 6px; padding: 6px 10px;
  border-radius: 8px; background: #fef2f2; color: var(--fd-error); font-size: 13px;
}
.fd-error[hidden] { display: none; }
.fd-error button {
  margin-left: auto; border: 1px solid currentColor; background: transparent; border-radius: 6px;
  cursor: pointer; padding: 2px 8px;
}
.fd-form { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e5e7eb; }
.fd-input {
  flex: 1; resize: none; border: 1px solid #d1d5db; border-radius: 10px; padding: 8px 10px;
  min-height: 40px; max-height: 120px; background: var(--fd-bg);
}
.fd-send {
  border: 0; border-radius: 10px; padding: 0 14px; cursor: pointer;
  background: var(--fd-accent); color: var(--fd-accent-text); font-weight: 600;
}
.fd-send:disabled { opacity: .5; cursor: not-allowed; }
@media (max-width: 480px) {
  :host { bottom: 12px; right: 12px; }
  :host([data-position="left"]) { left: 12px; }
  .fd-panel {
    position: fixed; inset: 0; width: 100vw; height: 100dvh; border-radius: 0;
  }
}
`;
