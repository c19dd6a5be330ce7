import { describe, expect, it } from "vitest";
import { auditQuery } from "../AuditLog";
import { localToIso, parseObject, short } from "./api";

describe("parseObject", () => {
  it("reads a JSON object, gives the empty value for blank text, and explains the rest", () => {
    expect(parseObject('{"a": 1}')).toEqual({ value: { a: 1 } });
    expect(parseObject("  ")).toEqual({ value: {} });
    expect(parseObject("[1]").error).toBe("It must be a JSON object ({…}).");
    expect(parseObject("null").error).toBe("It must be a JSON object ({…}).");
    expect(parseObject("{a:").error).toMatch(/^Not valid JSON: /);
  });
});

describe("localToIso and auditQuery", () => {
  it("turn datetime-local values into UTC instants and leave out empty filters", () => {
    const iso = localToIso("2026-11-22T10:30");
    expect(iso).toMatch(/^2026-11-2\dT\d\d:30:00\.000Z$/);
    expect(new Date(iso ?? "").getTime()).toBe(new Date("2026-11-22T10:30").getTime());
    expect(localToIso("")).toBeUndefined();
    expect(localToIso("not a date")).toBeUndefined();
    expect(auditQuery({ event_type: "", from: "", to: "" })).toEqual({});
    expect(auditQuery({ event_type: "activated", from: "2026-11-22T10:30", to: "" })).toEqual({
      event_type: "activated",
      from: iso,
    });
  });
});

describe("short", () => {
  it("cuts long JSON with an ellipsis", () => {
    expect(short({ a: 1 })).toBe('{"a":1}');
    expect(short("x".repeat(200), 10)).toBe('"xxxxxxxx…');
    expect(short(undefined)).toBe("—");
  });
});
