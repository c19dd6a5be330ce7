// What a routing rule's conditions can name: the scope `routing/scope.py` builds for each
// message. Keep this list in step with that function.
import type { FieldOption } from "../../workflows/rules/RuleBuilder";

const MESSAGE: FieldOption[] = [
  { path: "text", type: "string", source: "message" },
  { path: "kind", type: "string", source: "message" },
  { path: "channel", type: "string", source: "message" },
  { path: "language", type: "string", source: "message" },
  { path: "intent", type: "string", source: "classifier" },
  { path: "intent_confidence", type: "number", source: "classifier" },
  { path: "out_of_scope", type: "boolean", source: "classifier" },
  { path: "sentiment.label", type: "string", source: "this message" },
  { path: "sentiment.score", type: "number", source: "this message" },
  { path: "sentiment.trend", type: "number", source: "recent mean" },
];

const CUSTOMER_AND_CONTEXT: FieldOption[] = [
  { path: "contact.vip", type: "boolean", source: "contact" },
  { path: "contact.language", type: "string", source: "contact" },
  { path: "contact.name", type: "string", source: "contact" },
  { path: "contact.email", type: "string", source: "contact" },
  { path: "contact.phone", type: "string", source: "contact" },
  { path: "contact.attributes.", type: "string", source: "contact: add the attribute's key" },
  { path: "conversation.messages", type: "number", source: "conversation" },
  { path: "conversation.failures", type: "number", source: "conversation" },
  { path: "conversation.last_intent", type: "string", source: "conversation" },
  { path: "conversation.status", type: "string", source: "conversation" },
  { path: "conversation.entities.", type: "string", source: "conversation: add the entity type" },
  { path: "variables.", type: "string", source: "context: add the variable's name" },
  { path: "business_hours", type: "boolean", source: "tenant's opening hours" },
];

/** The entity types the analysis always looks for (`understanding/entities.py`, `names.py`). */
export const BUILT_IN_ENTITIES = ["email", "phone", "amount", "datetime", "person_name"];

/** The rule builder's fields: the scope, with `entities.<type>` for each entity type given. */
export function routingFields(entityTypes: string[]): FieldOption[] {
  const entities = [...new Set(entityTypes)].map<FieldOption>((type) => ({
    path: `entities.${type}`,
    type: "string",
    source: "entity in this message",
  }));
  return [...MESSAGE, ...entities, ...CUSTOMER_AND_CONTEXT];
}
