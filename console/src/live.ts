import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

export interface LiveEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  created_at: string;
}

/** Which cached queries a domain event makes stale. */
export function staleKeys(event: LiveEvent): string[][] {
  const keys: string[][] = [["stats"]];
  const conversation = event.payload.conversation_id;
  if (event.type.startsWith("message.") || event.type.startsWith("conversation.")) {
    keys.push(["conversations"]);
    if (typeof conversation === "string") keys.push(["conversation", conversation]);
  }
  if (event.type.startsWith("faq.")) keys.push(["faq"]);
  if (event.type.startsWith("callback.")) keys.push(["callbacks"]);
  return keys;
}

/** Follow the tenant's live event stream; refetch what each event changes. */
export function useLiveEvents(): { connected: boolean; last: LiveEvent | null } {
  const client = useQueryClient();
  const [connected, setConnected] = useState(false);
  const [last, setLast] = useState<LiveEvent | null>(null);
  useEffect(() => {
    const source = new EventSource("/api/v1/events/stream");
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener("domain", (message) => {
      const event = JSON.parse((message as MessageEvent<string>).data) as LiveEvent;
      setLast(event);
      for (const key of staleKeys(event)) void client.invalidateQueries({ queryKey: key });
    });
    return () => source.close();
  }, [client]);
  return { connected, last };
}
