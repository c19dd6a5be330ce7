import { describe, expect, it } from "vitest";
import type { Member } from "../api/client";
import { assigneeLabel, assigneeOptions, closing, dueIso } from "./Tasks";

const member = (id: string, email: string): Member => ({
  id,
  email,
  name: "",
  role: "agent",
  created_at: "2025-01-01T00:00:00Z",
  mfa_enabled: false,
  available: false,
});

describe("assignees", () => {
  it("offers every member when the role may list them, the caller marked", () => {
    const options = assigneeOptions([member("m1", "ana@x.test"), member("m2", "bo@x.test")], "m2", "bo@x.test");
    expect(options).toEqual([
      { id: "m1", label: "ana@x.test" },
      { id: "m2", label: "bo@x.test (you)" },
    ]);
  });

  it("offers only the caller without the members list", () => {
    expect(assigneeOptions(undefined, "m2", "bo@x.test")).toEqual([{ id: "m2", label: "bo@x.test (you)" }]);
  });

  it("names a member it does not know by the end of the id", () => {
    const options = [{ id: "m1", label: "ana@x.test" }];
    expect(assigneeLabel("m1", options)).toBe("ana@x.test");
    expect(assigneeLabel("0193-abcdef123456", options)).toBe("member …123456");
    expect(assigneeLabel(null, options)).toBe("—");
  });
});

describe("dueIso", () => {
  it("turns the local date input into an ISO date with a time zone", () => {
    const iso = dueIso("2025-06-01T09:30");
    expect(iso).toMatch(/Z$/);
    expect(new Date(iso ?? "").getTime()).toBe(new Date("2025-06-01T09:30").getTime());
  });

  it("is null for an empty or unreadable input", () => {
    expect(dueIso("")).toBeNull();
    expect(dueIso("not a date")).toBeNull();
  });
});

describe("closing", () => {
  it("reads the note and a workflow's result kept on the task", () => {
    expect(closing({ note: "Called back", result: {} })).toEqual({ note: "Called back", result: "" });
    expect(closing({ note: null, result: { approved: true } })).toEqual({ note: "", result: '{"approved":true}' });
    expect(closing({})).toEqual({ note: "", result: "" });
  });
});
