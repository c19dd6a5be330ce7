import { describe, expect, it } from "vitest";
import { answerText, where } from "./Assessments";

describe("where", () => {
  it("names the place in the definition, without the body", () => {
    expect(where(["body", "questions", 2, "validation", "pattern"])).toBe("questions[2].validation.pattern");
    expect(where(["body", "bands"])).toBe("bands");
    expect(where(["body"])).toBe("");
  });
});

describe("answerText", () => {
  it("shows the value read, its points, or that it was skipped", () => {
    expect(answerText({ value: "Often", raw: "2", points: 4 })).toBe("Often (4 pts)");
    expect(answerText({ value: 3, raw: "3", points: 0 })).toBe("3");
    expect(answerText({ value: "a@b.test", raw: "A@B.test" })).toBe("a@b.test");
    expect(answerText({ skipped: true })).toBe("skipped");
    expect(answerText(null)).toBe("");
  });
});
