import { describe, expect, it } from "vitest";
import { foldRows, lineDiff, MAX_CELLS, sideBySide, stableJson } from "./linediff";

const kinds = (ops: { kind: string; text: string }[]) => ops.map((o) => `${o.kind[0]}:${o.text}`);

describe("lineDiff", () => {
  it("keeps the longest common subsequence and marks the rest", () => {
    const ops = lineDiff(["a", "b", "c", "d"], ["a", "c", "x", "d"]);
    expect(kinds(ops)).toEqual(["s:a", "r:b", "s:c", "a:x", "s:d"]);
    expect(ops.map((o) => [o.oldNo, o.newNo])).toEqual([
      [1, 1],
      [2, undefined],
      [3, 2],
      [undefined, 3],
      [4, 4],
    ]);
  });

  it("handles empty sides and identical inputs", () => {
    expect(kinds(lineDiff([], ["x", "y"]))).toEqual(["a:x", "a:y"]);
    expect(kinds(lineDiff(["x"], []))).toEqual(["r:x"]);
    expect(lineDiff(["a", "b"], ["a", "b"]).every((o) => o.kind === "same")).toBe(true);
  });

  it("finds a common line between insertions, not just a prefix", () => {
    const ops = lineDiff(["1", "k", "2"], ["3", "k", "4"]);
    expect(ops.filter((o) => o.kind === "same").map((o) => o.text)).toEqual(["k"]);
    expect(ops.filter((o) => o.kind !== "same")).toHaveLength(4);
  });

  it("aligns a large document with scattered changes line by line", () => {
    const before = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `  "id": "n${i}",` : "  },"));
    const after = before.map((line, i) => (i % 300 === 150 ? `${line} changed` : line));
    const ops = lineDiff(before, after);
    expect(ops.filter((o) => o.kind === "removed")).toHaveLength(10);
    expect(ops.filter((o) => o.kind === "added")).toHaveLength(10);
    expect(ops.filter((o) => o.kind === "same")).toHaveLength(2990);
  });

  it("rebuilds both sides and keeps as many lines as the LCS, on random inputs", () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const lcs = (a: string[], b: string[]) => {
      const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) t[i][j] = a[i - 1] === b[j - 1] ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
      return t[a.length][b.length];
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: next() % 12 }, () => "abcd"[next() % 4]);
      const b = Array.from({ length: next() % 12 }, () => "abcd"[next() % 4]);
      const ops = lineDiff(a, b);
      expect(ops.filter((o) => o.kind !== "added").map((o) => o.text)).toEqual(a);
      expect(ops.filter((o) => o.kind !== "removed").map((o) => o.text)).toEqual(b);
      expect(ops.filter((o) => o.kind === "same")).toHaveLength(lcs(a, b));
    }
  });

  it("gives up on alignment past the size limit when no line is shared, but stays correct", () => {
    const size = Math.ceil(Math.sqrt(MAX_CELLS)) + 2;
    const a = Array.from({ length: size }, (_, i) => `a${i}`);
    const b = Array.from({ length: size }, (_, i) => `b${i}`);
    const ops = lineDiff(a, b);
    expect(ops.filter((o) => o.kind === "removed")).toHaveLength(size);
    expect(ops.filter((o) => o.kind === "added")).toHaveLength(size);
  });
});

describe("sideBySide", () => {
  it("faces a removed run with the added run after it", () => {
    const rows = sideBySide(lineDiff(["a", "old1", "old2", "z"], ["a", "new1", "z"]));
    expect(rows.map((r) => [r.left?.text ?? null, r.right?.text ?? null])).toEqual([
      ["a", "a"],
      ["old1", "new1"],
      ["old2", null],
      ["z", "z"],
    ]);
    expect(rows[1].left?.kind).toBe("removed");
    expect(rows[1].right?.kind).toBe("added");
    expect(rows[3].left?.no).toBe(4);
    expect(rows[3].right?.no).toBe(3);
  });
});

describe("stableJson", () => {
  it("sorts keys so key order does not show as a change", () => {
    expect(stableJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      stableJson({ a: { c: null, d: [2, { e: 0, f: 1 }] }, b: 1 }),
    );
    const ops = lineDiff(stableJson({ x: 1, y: 2 }).split("\n"), stableJson({ y: 2, x: 3 }).split("\n"));
    expect(kinds(ops.filter((o) => o.kind !== "same"))).toEqual(['r:  "x": 1,', 'a:  "x": 3,']);
  });
});

describe("foldRows", () => {
  const lines = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it("folds unchanged stretches beyond the context and keeps every change", () => {
    const before = [...lines(20, "a"), "old", ...lines(20, "b")];
    const after = [...lines(20, "a"), "new", ...lines(20, "b")];
    const folded = foldRows(sideBySide(lineDiff(before, after)), 3);
    expect(folded[0]).toEqual({ fold: 0, count: 17 });
    const shown = folded.filter((f) => "row" in f);
    expect(shown).toHaveLength(7);
    expect(folded[folded.length - 1]).toEqual({ fold: 24, count: 17 });
    expect(shown.some((f) => "row" in f && f.row.left?.text === "old" && f.row.right?.text === "new")).toBe(true);
  });

  it("never folds a single unchanged line", () => {
    const same = foldRows(sideBySide(lineDiff(["x"], ["x"])), 3);
    expect(same).toEqual([{ row: expect.anything(), index: 0 }]);
    const small = foldRows(sideBySide(lineDiff([...lines(4, "a"), "o"], [...lines(4, "a"), "n"])), 3);
    expect(small.filter((f) => "fold" in f)).toHaveLength(0);
  });
});
