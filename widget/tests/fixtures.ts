import type { ChatMessage } from "../src/types";

let counter = 0;

/** A message as the API would return it. */
export function message(overrides: Partial<ChatMessage> = {}): ChatMessage {
  counter += 1;
  return {
    id: `01J${String(counter).padStart(10, "0")}`,
    conversation_id: "c1",
    direction: "out",
    sender: "bot",
    text: "Hello",
    content: {},
    meta: {},
    reply_to_id: null,
    status: "sent",
    created_at: "2026-11-22T06:00:00Z",
    ...overrides,
  };
}
