import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { get, post, type ConversationDetail, type Message } from "../api/client";
import { useCan, useMe } from "../auth";
import { StatusBadge } from "../routes/Inbox";
import { ErrorBox, Loading } from "./Status";

/** One message bubble; customer text is rendered as text, never as HTML. */
export function MessageItem({ message }: { message: Message }) {
  return (
    <li className={`msg ${message.direction} ${message.sender}`} data-testid="message">
      <div className="meta">
        {message.sender} · {new Date(message.created_at).toLocaleTimeString()}
      </div>
      <div className="text">{message.text}</div>
    </li>
  );
}

export function ConversationView({ id }: { id: string }) {
  const me = useMe();
  const canWrite = useCan("conversations:write");
  const client = useQueryClient();
  const [text, setText] = useState("");
  const detail = useQuery({
    queryKey: ["conversation", id],
    queryFn: () => get<ConversationDetail>(`/conversations/${id}`),
  });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ["conversation", id] });
    void client.invalidateQueries({ queryKey: ["conversations"] });
  };
  const action = useMutation({
    mutationFn: (name: "claim" | "hand-back" | "close") => post(`/conversations/${id}/${name}`),
    onSuccess: refresh,
  });
  const reply = useMutation({
    mutationFn: () => post<Message>(`/conversations/${id}/reply`, { text }),
    onSuccess: () => {
      setText("");
      refresh();
    },
  });
  if (detail.isPending) return <Loading />;
  if (detail.error) return <ErrorBox error={detail.error} retry={() => void detail.refetch()} />;
  const c = detail.data;
  const mine = c.status === "human" && c.assignee_id === me.member?.id;
  const send = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) reply.mutate();
  };
  return (
    <div className="conversation">
      <div className="row between">
        <Link to="/inbox" className="back">
          ← Inbox
        </Link>
        <StatusBadge status={c.status} />
      </div>
      <h2 className="mono">Conversation #{c.id.slice(-6)}</h2>
      {c.status === "human" && !mine && <p className="muted">Another member owns this conversation.</p>}
      {canWrite && (
        <div className="row actions">
          {c.status !== "human" && c.status !== "closed" && (
            <button type="button" onClick={() => action.mutate("claim")} disabled={action.isPending}>
              Claim
            </button>
          )}
          {mine && (
            <button type="button" className="secondary" onClick={() => action.mutate("hand-back")}>
              Hand back to bot
            </button>
          )}
          {c.status !== "closed" && (
            <button type="button" className="secondary" onClick={() => action.mutate("close")}>
              Close
            </button>
          )}
        </div>
      )}
      {action.error && <ErrorBox error={action.error} />}
      <ol className="messages" aria-label="Messages">
        {c.messages.map((m) => (
          <MessageItem key={m.id} message={m} />
        ))}
      </ol>
      {mine && (
        <form className="reply" onSubmit={send}>
          <textarea
            aria-label="Reply"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="Write a reply to the customer…"
            rows={3}
            maxLength={4096}
          />
          <button type="submit" disabled={reply.isPending || !text.trim()}>
            Send
          </button>
        </form>
      )}
      {reply.error && <ErrorBox error={reply.error} />}
    </div>
  );
}
