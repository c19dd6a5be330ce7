// A line diff by longest common subsequence, and its side-by-side layout for the Raw JSON tab.

export type LineKind = "same" | "added" | "removed";

export interface LineOp {
  kind: LineKind;
  text: string;
  /** 1-based line number on the old side (absent for an added line). */
  oldNo?: number;
  /** 1-based line number on the new side (absent for a removed line). */
  newNo?: number;
}

export interface Cell {
  no: number;
  text: string;
  kind: LineKind;
}

export interface SideRow {
  left: Cell | null;
  right: Cell | null;
}

/** Above this many table cells a part is split at its unique common lines before the LCS. */
export const MAX_CELLS = 1_000_000;

/** The LCS table of a and b, as lengths of the common subsequence of the suffixes. */
function lcsTable(a: string[], b: string[]): Uint32Array[] {
  const rows: Uint32Array[] = [];
  for (let i = 0; i <= a.length; i++) rows.push(new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      rows[i][j] = a[i] === b[j] ? rows[i + 1][j + 1] + 1 : Math.max(rows[i + 1][j], rows[i][j + 1]);
    }
  }
  return rows;
}

/** The LCS path of a small part: kept, removed from a, or added from b, in order. */
function lcsKinds(a: string[], b: string[], kinds: LineKind[]): void {
  const table = lcsTable(a, b);
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      kinds.push("same");
      i++;
      j++;
    } else if (table[i + 1][j] >= table[i][j + 1]) {
      kinds.push("removed");
      i++;
    } else {
      kinds.push("added");
      j++;
    }
  }
  for (; i < a.length; i++) kinds.push("removed");
  for (; j < b.length; j++) kinds.push("added");
}

/** Lines found exactly once in a and once in b, as index pairs in a's order. */
function uniquePairs(a: string[], b: string[]): [number, number][] {
  const count = (lines: string[]) => {
    const seen = new Map<string, number>();
    lines.forEach((line, i) => seen.set(line, seen.has(line) ? -1 : i));
    return seen;
  };
  const inA = count(a);
  const inB = count(b);
  const pairs: [number, number][] = [];
  for (const [line, i] of inA) {
    const j = inB.get(line);
    if (i >= 0 && j !== undefined && j >= 0) pairs.push([i, j]);
  }
  return pairs.sort((x, y) => x[0] - y[0]);
}

/** The longest run of pairs increasing in b as well (patience sorting). */
function increasing(pairs: [number, number][]): [number, number][] {
  const tails: number[] = [];
  const back: number[] = new Array<number>(pairs.length).fill(-1);
  pairs.forEach(([, j], k) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]][1] < j) lo = mid + 1;
      else hi = mid;
    }
    back[k] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = k;
  });
  const out: [number, number][] = [];
  for (let k = tails.length ? tails[tails.length - 1] : -1; k >= 0; k = back[k]) out.push(pairs[k]);
  return out.reverse();
}

/**
 * How each line of a part goes. A small part is aligned by LCS; a large one is first cut at
 * the lines unique to both sides that keep their order (as patience diff does), and each piece
 * between them is aligned on its own, so the table never grows past MAX_CELLS.
 */
function middle(a: string[], b: string[], kinds: LineKind[]): void {
  if (a.length * b.length <= MAX_CELLS) {
    lcsKinds(a, b, kinds);
    return;
  }
  const anchors = increasing(uniquePairs(a, b));
  if (!anchors.length) {
    for (let i = 0; i < a.length; i++) kinds.push("removed");
    for (let j = 0; j < b.length; j++) kinds.push("added");
    return;
  }
  let i = 0;
  let j = 0;
  for (const [ai, bj] of anchors) {
    piece(a.slice(i, ai), b.slice(j, bj), kinds);
    kinds.push("same");
    i = ai + 1;
    j = bj + 1;
  }
  piece(a.slice(i), b.slice(j), kinds);
}

/** A piece: its common head and tail kept, the rest aligned by middle(). */
function piece(a: string[], b: string[], kinds: LineKind[]): void {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  for (let k = 0; k < head; k++) kinds.push("same");
  middle(a.slice(head, a.length - tail), b.slice(head, b.length - tail), kinds);
  for (let k = 0; k < tail; k++) kinds.push("same");
}

/** Every line of old and new, in order, marked same / removed / added. */
export function lineDiff(oldLines: string[], newLines: string[]): LineOp[] {
  const kinds: LineKind[] = [];
  piece(oldLines, newLines, kinds);
  const ops: LineOp[] = [];
  let i = 0;
  let j = 0;
  for (const kind of kinds) {
    if (kind === "same") ops.push({ kind, text: newLines[j], oldNo: ++i, newNo: ++j });
    else if (kind === "removed") ops.push({ kind, text: oldLines[i], oldNo: ++i });
    else ops.push({ kind, text: newLines[j], newNo: ++j });
  }
  return ops;
}

/** Pairs the lines for two columns: a run of removed lines faces the run of added lines after it. */
export function sideBySide(ops: LineOp[]): SideRow[] {
  const rows: SideRow[] = [];
  let k = 0;
  while (k < ops.length) {
    const op = ops[k];
    if (op.kind === "same") {
      rows.push({
        left: { no: op.oldNo ?? 0, text: op.text, kind: "same" },
        right: { no: op.newNo ?? 0, text: op.text, kind: "same" },
      });
      k++;
      continue;
    }
    const removed: LineOp[] = [];
    const added: LineOp[] = [];
    while (k < ops.length && ops[k].kind === "removed") removed.push(ops[k++]);
    while (k < ops.length && ops[k].kind === "added") added.push(ops[k++]);
    for (let n = 0; n < Math.max(removed.length, added.length); n++) {
      const r = removed[n];
      const a = added[n];
      rows.push({
        left: r ? { no: r.oldNo ?? 0, text: r.text, kind: "removed" } : null,
        right: a ? { no: a.newNo ?? 0, text: a.text, kind: "added" } : null,
      });
    }
  }
  return rows;
}

/** JSON with sorted object keys, two-space indented, so equal definitions print alike. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((key) => [key, sort((v as Record<string, unknown>)[key])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2) ?? "null";
}

export type Folded = { row: SideRow; index: number } | { fold: number; count: number };

/** The rows with long unchanged stretches folded, keeping ``context`` lines around each change. */
export function foldRows(rows: SideRow[], context = 3): Folded[] {
  const near = new Array<boolean>(rows.length).fill(false);
  rows.forEach((r, i) => {
    if (r.left?.kind === "same" && r.right?.kind === "same") return;
    for (let k = Math.max(0, i - context); k <= Math.min(rows.length - 1, i + context); k++) near[k] = true;
  });
  const out: Folded[] = [];
  let i = 0;
  while (i < rows.length) {
    if (near[i]) {
      out.push({ row: rows[i], index: i });
      i++;
      continue;
    }
    let j = i;
    while (j < rows.length && !near[j]) j++;
    if (j - i > 1) out.push({ fold: i, count: j - i });
    else out.push({ row: rows[i], index: i });
    i = j;
  }
  return out;
}
