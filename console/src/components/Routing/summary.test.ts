import { describe, expect, it } from "vitest";
import { summarize } from "./summary";

describe("summarize", () => {
  it("writes a flat group on one line with the builder's operator names", () => {
    const conditions = {
      logical: "AND",
      conditions: [
        { field: "contact.vip", operator: "equals", value: true },
        { field: "intent", operator: "in", value: ["refund", "chargeback"] },
        { field: "entities.email", operator: "is_not_empty" },
      ],
    };
    expect(summarize(conditions)).toBe(
      'contact.vip equals true AND intent is one of "refund", "chargeback" AND entities.email is not empty',
    );
  });

  it("brackets nested groups and reads NOT as not all of", () => {
    const conditions = {
      logical: "or",
      conditions: [
        { field: "text", operator: "contains", value: "warranty" },
        {
          logical: "AND",
          conditions: [
            { field: "sentiment.score", operator: "between", value: [-1, -0.5] },
            { field: "conversation.failures", operator: "greater", value: 1 },
          ],
        },
        {
          logical: "NOT",
          conditions: [
            { field: "business_hours", operator: "equals", value: true },
            { field: "channel", operator: "equals", value: "webchat" },
          ],
        },
      ],
    };
    expect(summarize(conditions)).toBe(
      'text contains "warranty" OR (sentiment.score between -1 and -0.5 AND conversation.failures > 1)' +
        ' OR NOT (business_hours equals true AND channel equals "webchat")',
    );
  });

  it("says what an empty group means and ignores what is not a group", () => {
    expect(summarize({ logical: "AND", conditions: [] })).toBe("always");
    expect(summarize({ logical: "OR", conditions: [] })).toBe("never");
    expect(summarize({ logical: "NOT", conditions: [{ field: "out_of_scope", operator: "equals", value: true }] })).toBe(
      "NOT out_of_scope equals true",
    );
    expect(summarize(null)).toBe("");
  });
});
