import { describe, expect, it } from "vitest";
import { concrete, kindOf, type Schema } from "./Fields";
import { tabsOf } from "./Properties";
import { complete, openTemplate } from "./TemplateInput";

const COMMON: Record<string, Schema> = {
  label: { anyOf: [{ type: "string" }, { type: "null" }] },
  description: { anyOf: [{ type: "string" }, { type: "null" }] },
  retry: { $ref: "#/$defs/RetryPolicy" },
  timeout_seconds: { anyOf: [{ type: "number" }, { type: "null" }] },
  continue_on_error: { type: "boolean" },
};

const ROOT: Schema = {
  $defs: {
    RetryPolicy: { type: "object", properties: { max_attempts: { type: "integer" }, retry_on: { type: "array", items: { enum: ["transient"], type: "string" } } } },
    RuleGroup: { type: "object", properties: { logical: { enum: ["AND", "OR", "NOT"] } } },
  },
};

describe("properties tabs", () => {
  it("shows a tab only when the schema has its fields", () => {
    const approval = { properties: { ...COMMON, title: { type: "string" }, allowed_roles: { type: "array" }, require_mfa: { type: "boolean" } } };
    expect(tabsOf(approval).map((t) => t.label)).toEqual(["Basic", "Error handling", "Permissions"]);
    const llm = { properties: { ...COMMON, prompt: { type: "string" }, model: { type: "string" }, output_variable: { type: "string" } } };
    const tabs = tabsOf(llm);
    expect(tabs.map((t) => t.label)).toEqual(["Basic", "Outputs", "LLM", "Error handling"]);
    expect(tabs[0].fields).toEqual(["label", "description", "prompt"]);
    const http = { properties: { ...COMMON, url: { type: "string" }, headers: { type: "object" }, response_mapping: { type: "object" } } };
    expect(tabsOf(http).map((t) => t.label)).toEqual(["Basic", "Inputs", "Outputs", "Error handling"]);
  });
});

describe("schema widgets", () => {
  it("picks a widget from the JSON Schema", () => {
    const kind = (name: string, schema: Schema) => kindOf(name, concrete(schema, ROOT).schema, ROOT);
    expect(kind("rules", { $ref: "#/$defs/RuleGroup" })).toBe("rules");
    expect(kind("retry", { $ref: "#/$defs/RetryPolicy" })).toBe("object");
    expect(kind("label", COMMON.label)).toBe("text");
    expect(kind("timeout_seconds", COMMON.timeout_seconds)).toBe("number");
    expect(kind("method", { enum: ["GET", "POST"], type: "string" })).toBe("select");
    expect(kind("retry_on", { type: "array", items: { enum: ["a"], type: "string" } })).toBe("checks");
    expect(kind("approvers", { type: "array", items: { type: "string" } })).toBe("lines");
    expect(kind("headers", { type: "object", additionalProperties: { type: "string" } })).toBe("map");
    expect(kind("json_schema", { anyOf: [{ type: "object", additionalProperties: true }, { type: "null" }] })).toBe("json");
    expect(kind("seconds", { anyOf: [{ type: "number" }, { type: "string" }] })).toBe("scalar");
    expect(kind("body", {})).toBe("json");
    expect(concrete(COMMON.label, ROOT).nullable).toBe(true);
  });
});

describe("{{variable}} autocomplete", () => {
  it("finds the open template before the caret and completes it", () => {
    expect(openTemplate("Hi {{ trigger.te", 16)).toBe("trigger.te");
    expect(openTemplate("Hi {{ a }} there", 16)).toBeNull();
    expect(openTemplate("no template", 5)).toBeNull();
    expect(complete("Hi {{ trigger.te", 16, "trigger.text")).toEqual({ text: "Hi {{ trigger.text }}", caret: 21 });
    expect(complete("Hi {{ tr }} !", 8, "trigger.text").text).toBe("Hi {{ trigger.text }} !");
  });
});
