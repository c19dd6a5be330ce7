/** A message as the web chat API returns it (MessagePublic). */
export interface ChatMessage {
  id: string;
  conversation_id: string;
  direction: "in" | "out" | string;
  sender: string;
  text: string;
  content: Record<string, unknown>;
  meta: Record<string, unknown>;
  reply_to_id: string | null;
  status: string;
  created_at: string;
}

/** What a visitor's session is: the id and the bearer token that opens it. */
export interface StoredSession {
  sessionId: string;
  token: string;
}

/** Options read from the embedding script tag's data attributes. */
export interface WidgetOptions {
  tenant: string;
  apiBase: string;
  title: string;
  accent: string | null;
  position: "left" | "right";
  greeting: string | null;
}
