import { describe, expect, it } from "vitest";
import type { TeamMember } from "../api/client";
import { assigneeLabel, assigneeOptions, closing, dueIso } from "./Tasks";

const member = (id: string, email: string): TeamMember => ({
  id,
  email,
  name: "",
  role: "agent",
  available: false,
});

describe("assignees", () => {
  it("offers every member of the team, the caller marked", () => {
    const options = assigneeOptions([member("m1", "ana@x.test"), member("m2", "bo@x.test")], "m2", "bo@x.test");
    expect(options).toEqual([
      { id: "m1", label: "ana@x.test" },
      { id: "m2", label: "bo@x.test (you)" },
    ]);
  });

  it("offers only the caller until the team has loaded", () => {
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
