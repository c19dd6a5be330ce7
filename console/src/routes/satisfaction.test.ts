import { describe, expect, it } from "vitest";
import { bars, percent, sinceDays } from "./Satisfaction";

describe("bars", () => {
  it("gives each score its whole percent of all ratings, best first", () => {
    expect(bars({ "1": 1, "2": 0, "3": 1, "4": 2, "5": 4 })).toEqual([
      { score: "5", count: 4, percent: 50 },
      { score: "4", count: 2, percent: 25 },
      { score: "3", count: 1, percent: 13 },
      { score: "2", count: 0, percent: 0 },
      { score: "1", count: 1, percent: 13 },
    ]);
  });

  it("is all zero when nobody rated, and reads missing scores as none", () => {
    expect(bars({}).map((b) => [b.count, b.percent])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(bars({ "5": 3 })[0]).toEqual({ score: "5", count: 3, percent: 100 });
  });
});

describe("percent and sinceDays", () => {
  it("shows a share as a whole percent, a dash without ratings", () => {
    expect(percent(0.6667)).toBe("67%");
    expect(percent(1)).toBe("100%");
    expect(percent(null)).toBe("–");
  });

  it("goes back whole days from now, in UTC", () => {
    expect(sinceDays(7, new Date("2025-03-10T12:00:00Z"))).toBe("2025-03-03T12:00:00.000Z");
  });
});
