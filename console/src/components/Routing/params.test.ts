import { describe, expect, it } from "vitest";
import { parseParams, showParams } from "./params";

describe("parseParams", () => {
  it("reads a JSON object, and nothing as no params", () => {
    expect(parseParams('{"reason": "warranty", "text": "A person will answer."}')).toEqual({
      params: { reason: "warranty", text: "A person will answer." },
    });
    expect(parseParams("  \n")).toEqual({ params: {} });
  });

  it("refuses text that is not a JSON object", () => {
    for (const text of ["{", '["a"]', '"text"', "null", "3"]) {
      expect(parseParams(text)).toHaveProperty("error");
    }
    expect(parseParams("{")).toEqual({ error: expect.stringContaining("not valid JSON") });
    expect(parseParams("[]")).toEqual({ error: expect.stringContaining("must be a JSON object") });
  });

  it("shows params as indented JSON, none as empty", () => {
    expect(showParams({})).toBe("");
    expect(parseParams(showParams({ namespace: "docs" }))).toEqual({ params: { namespace: "docs" } });
  });
});
