import { describe, expect, it } from "vitest";
import { formatDuration, STEPS, tickLabel, tickStep, timeScale } from "./scale";

describe("tickStep", () => {
  it("picks the smallest readable step giving at most the wanted ticks", () => {
    expect(tickStep(950)).toBe(200);
    expect(tickStep(12_000)).toBe(2000);
    expect(tickStep(7 * 60_000)).toBe(2 * 60_000);
    expect(tickStep(2 * 86_400_000)).toBe(12 * 3_600_000);
    expect(tickStep(0)).toBe(1);
  });

  it("never gives more ticks than asked, even past the largest step", () => {
    for (const span of [3, 77, 1234, 98_765, 5_000_000, 400_000_000, 1e11]) {
      expect(Math.ceil(span / tickStep(span, 6))).toBeLessThanOrEqual(6);
    }
    expect(STEPS).toEqual([...STEPS].sort((a, b) => a - b));
  });
});

describe("timeScale", () => {
  it("covers the run with whole steps and maps times to x", () => {
    const start = Date.parse("2026-11-22T10:00:00Z");
    const scale = timeScale(start, start + 4_300, 6);
    expect(scale.step).toBe(1000);
    expect(scale.span).toBe(5000);
    expect(scale.ticks).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(scale.x(start, 500)).toBe(0);
    expect(scale.x(start + 2500, 500)).toBe(250);
    expect(scale.x(start + 5000, 500)).toBe(500);
  });

  it("gives an instant run a non-empty axis", () => {
    const scale = timeScale(100, 100);
    expect(scale.span).toBeGreaterThan(0);
    expect(Number.isFinite(scale.x(100, 300))).toBe(true);
  });
});

describe("formatDuration", () => {
  it("reads like a person would say it", () => {
    expect(formatDuration(0.4)).toBe("0 ms");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(1234)).toBe("1.2 s");
    expect(formatDuration(3000)).toBe("3 s");
    expect(formatDuration(185_000)).toBe("3 min 5 s");
    expect(formatDuration(7_380_000)).toBe("2 h 3 min");
    expect(formatDuration(3 * 86_400_000)).toBe("3 d");
    expect(formatDuration(null)).toBe("—");
    expect(tickLabel(0)).toBe("0");
    expect(tickLabel(120_000)).toBe("+2 min");
  });
});
