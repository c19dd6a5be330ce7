// Undo / redo as a history of definition snapshots. Consecutive changes with the same key
// (one drag, typing in one field) coalesce into one step.

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** The key of the last change, for coalescing (null: the next change is a new step). */
  key: string | null;
}

export const LIMIT = 100;

export function start<T>(present: T): History<T> {
  return { past: [], present, future: [], key: null };
}

/** Make `next` the present; with the same non-null `key` as the last change, replace it. */
export function commit<T>(history: History<T>, next: T, key: string | null = null): History<T> {
  if (next === history.present) return history;
  if (key !== null && key === history.key) return { ...history, present: next, future: [] };
  const past = [...history.past, history.present].slice(-LIMIT);
  return { past, present: next, future: [], key };
}

/** Change the present without an undo step (selection, measured sizes). */
export function replace<T>(history: History<T>, next: T): History<T> {
  return next === history.present ? history : { ...history, present: next };
}

export function undo<T>(history: History<T>): History<T> {
  if (history.past.length === 0) return history;
  const previous = history.past[history.past.length - 1];
  return { past: history.past.slice(0, -1), present: previous, future: [history.present, ...history.future], key: null };
}

export function redo<T>(history: History<T>): History<T> {
  if (history.future.length === 0) return history;
  const [next, ...future] = history.future;
  return { past: [...history.past, history.present], present: next, future, key: null };
}

/** End coalescing: the next change starts a new step even with the same key. */
export function seal<T>(history: History<T>): History<T> {
  return history.key === null ? history : { ...history, key: null };
}
