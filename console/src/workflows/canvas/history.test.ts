import { describe, expect, it } from "vitest";
import { commit, LIMIT, redo, replace, seal, start, undo } from "./history";

describe("undo stack", () => {
  it("undoes and redoes in order, and a new change drops the redo branch", () => {
    let h = start("a");
    h = commit(h, "b");
    h = commit(h, "c");
    h = undo(h);
    expect(h.present).toBe("b");
    h = undo(h);
    expect(h.present).toBe("a");
    expect(undo(h)).toBe(h);
    h = redo(h);
    expect(h.present).toBe("b");
    h = commit(h, "d");
    expect(h.future).toEqual([]);
    expect(redo(h)).toBe(h);
    expect(undo(h).present).toBe("b");
  });

  it("coalesces changes with the same key (a drag) into one step", () => {
    let h = start({ x: 0 });
    for (let x = 1; x <= 30; x += 1) h = commit(h, { x }, "drag:1");
    expect(h.present).toEqual({ x: 30 });
    expect(h.past).toHaveLength(1);
    h = commit(h, { x: 31 }, "drag:2");
    expect(h.past).toHaveLength(2);
    expect(undo(h).present).toEqual({ x: 30 });
    expect(undo(undo(h)).present).toEqual({ x: 0 });
  });

  it("seals a coalescing run and keeps replace out of the history", () => {
    let h = commit(start(1), 2, "typing");
    h = seal(h);
    h = commit(h, 3, "typing");
    expect(h.past).toEqual([1, 2]);
    h = replace(h, 4);
    expect(h.past).toEqual([1, 2]);
    expect(undo(h).present).toBe(2);
  });

  it("keeps at most LIMIT steps", () => {
    let h = start(0);
    for (let i = 1; i <= LIMIT + 20; i += 1) h = commit(h, i);
    expect(h.past).toHaveLength(LIMIT);
    expect(h.past[0]).toBe(20);
  });
});
