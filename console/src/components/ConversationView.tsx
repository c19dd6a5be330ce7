import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { get, post, type ConversationDetail, type Message, type TeamMember } from "../api/client";
import { useCan, useMe } from "../auth";
import { StatusBadge } from "../routes/Inbox";
import { useTeam } from "../workflows/ops/members";
import { ErrorBox, Loading } from "./Status";

interface Analysis {
  language?: string;
  language_assumed?: boolean;
  intent?: { name: string | null; confidence: number; out_of_scope: boolean } | null;
  entities?: { type: string; value: string }[];
  sentiment?: { score: number; label: string };
}

/** What the bot understood of a customer message: intent, sentiment, entities, language. */
export function AnalysisLine({ analysis }: { analysis: Analysis }) {
  const parts: string[] = [];
  const intent = analysis.intent;
  if (intent) {
    const confidence = `${Math.round(intent.confidence * 100)}%`;
    parts.push(intent.name ? `intent ${intent.name} (${confidence})` : "intent: none of ours");
  }
  if (analysis.sentiment) parts.push(`sentiment ${analysis.sentiment.label}`);
  for (const entity of analysis.entities ?? []) parts.push(`${entity.type} ${entity.value}`);
  if (analysis.language && !analysis.language_assumed) parts.push(`language ${analysis.language}`);
  if (parts.length === 0) return null;
  return (
    <div className="analysis muted" data-testid="analysis">
      {parts.join(" · ")}
    </div>
  );
}

interface Translation {
  from: string;
  to: string;
  text?: string; // a customer message: its translation into the tenant's language
  original?: string; // a reply: what the bot or member wrote before it was translated
}

const metaOf = (message: Message) => message.meta as { analysis?: Analysis; translation?: Translation } | undefined;

/** A message's other language: the customer's words translated, or the reply as written. */
export function TranslationLine({ translation }: { translation: Translation }) {
  const [label, text] =
    translation.original !== undefined
      ? [`sent in ${translation.to}, written as`, translation.original]
      : [`translated from ${translation.from}`, translation.text ?? ""];
  return (
    <div className="analysis muted" data-testid="translation">
      {label}: {text}
    </div>
  );
}

/** One message bubble; customer text is rendered as text, never as HTML. */
export function MessageItem({ message }: { message: Message }) {
  const meta = metaOf(message);
  return (
    <li className={`msg ${message.direction} ${message.sender}`} data-testid="message">
      <div className="meta">
        {message.sender} · {new Date(message.created_at).toLocaleTimeString()}
      </div>
      <div className="text">{message.text}</div>
      {meta?.translation && <TranslationLine translation={meta.translation} />}
      {meta?.analysis && <AnalysisLine analysis={meta.analysis} />}
    </li>
  );
}

/** How a colleague is named: their name, else their e-mail. */
function nameOf(member: TeamMember): string {
  return member.name || member.email;
}

/** The owner's name, or "Another member" while the team is unknown. */
export function ownerName(id: string | null, team: TeamMember[] | undefined): string {
  const member = team?.find((m) => m.id === id);
  return member ? nameOf(member) : "Another member";
}

/** Who may be given a conversation: members of an answering role, the available ones first. */
export function answerers(team: TeamMember[]): TeamMember[] {
  return team
    .filter((m) => m.role === "agent" || m.role === "admin")
    .sort((a, b) => Number(b.available) - Number(a.available) || a.email.localeCompare(b.email));
}

/** An admin gives the conversation to a colleague (even from another owner). */
function AssignTo({ id, current, team, onDone }: { id: string; current: string | null; team: TeamMember[]; onDone: () => void }) {
  const assign = useMutation({
    mutationFn: (member: string) => post(`/conversations/${id}/assign`, { member_id: member }),
    onSuccess: onDone,
  });
  return (
    <label className="row small">
      Assign to
      <select value="" aria-label="Assign to" disabled={assign.isPending} onChange={(e) => e.target.value && assign.mutate(e.target.value)}>
        <option value="">choose a member…</option>
        {answerers(team)
          .filter((m) => m.id !== current)
          .map((m) => (
            <option key={m.id} value={m.id}>
              {nameOf(m)} ({m.available ? "available" : "away"})
            </option>
          ))}
      </select>
      {assign.error && <ErrorBox error={assign.error} />}
    </label>
  );
}

export function ConversationView({ id }: { id: string }) {
  const me = useMe();
  const canWrite = useCan("conversations:write");
  const team = useTeam();
  const client = useQueryClient();
  const [text, setText] = useState("");
  const [translate, setTranslate] = useState(true);
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
    mutationFn: () => post<Message>(`/conversations/${id}/reply`, { text, translate }),
    onSuccess: () => {
      setText("");
      refresh();
    },
  });
  if (detail.isPending) return <Loading />;
  if (detail.error) return <ErrorBox error={detail.error} retry={() => void detail.refetch()} />;
  const c = detail.data;
  const mine = c.status === "human" && c.assignee_id === me.member?.id;
  // The bot translated for this customer: a model is configured and they write another language.
  const foreign = c.language && c.messages.some((m) => metaOf(m)?.translation) ? c.language : null;
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
      {c.status === "human" && !mine && (
        <p className="muted" data-testid="owner">
          {ownerName(c.assignee_id, team)} owns this conversation.
        </p>
      )}
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
          {me.role === "admin" && team && c.status !== "closed" && (
            <AssignTo id={c.id} current={c.status === "human" ? c.assignee_id : null} team={team} onDone={refresh} />
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
          {foreign && (
            <label className="row small">
              <input type="checkbox" checked={translate} onChange={(e) => setTranslate(e.target.checked)} />
              Translate my reply into {foreign}
            </label>
          )}
          <button type="submit" disabled={reply.isPending || !text.trim()}>
            Send
          </button>
        </form>
      )}
      {reply.error && <ErrorBox error={reply.error} />}
    </div>
  );
}
