import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { get, type ConversationSummary } from "../api/client";
import { useCan, useMe } from "../auth";
import { ConversationView } from "../components/ConversationView";
import { Availability } from "../components/Inbox/Availability";
import { Callbacks } from "../components/Inbox/Callbacks";
import { Empty, ErrorBox, Loading } from "../components/Status";

const STATUSES = ["", "waiting", "human", "bot", "closed"] as const;
const STATUS_LABEL: Record<string, string> = {
  "": "All",
  waiting: "Waiting for a human",
  human: "With an agent",
  bot: "With the bot",
  closed: "Closed",
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge s-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function Inbox() {
  const me = useMe();
  const canRead = useCan("conversations:read");
  const canWrite = useCan("conversations:write");
  const { conversationId } = useParams();
  const [status, setStatus] = useState<string>("");
  const [mine, setMine] = useState(false);
  const list = useQuery({
    queryKey: ["conversations", status, mine],
    queryFn: () =>
      get<ConversationSummary[]>("/conversations", {
        status,
        assignee_id: mine ? me.member?.id : undefined,
        limit: 100,
      }),
  });
  const names = Object.fromEntries((list.data ?? []).map((c) => [c.id, c.contact_name ?? ""]));
  return (
    <section className={conversationId ? "inbox has-detail" : "inbox"}>
      <div className="list-pane">
        <h1>Inbox</h1>
        {canWrite && <Availability />}
        {canRead && <Callbacks names={names} />}
        <div className="row filters">
          <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
          <label className="inline">
            <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} /> Mine
          </label>
        </div>
        {list.isPending && <Loading />}
        {list.error && <ErrorBox error={list.error} retry={() => void list.refetch()} />}
        {list.data?.length === 0 && <Empty>No conversations match.</Empty>}
        <ul className="conversations" aria-label="Conversations">
          {list.data?.map((c) => (
            <li key={c.id} className={c.id === conversationId ? "active" : undefined}>
              <Link to={`/inbox/${c.id}`} data-testid="conversation-link">
                <span className="row between">
                  <strong className="name">{c.contact_name || `Visitor #${c.contact_id.slice(-6)}`}</strong>
                  <StatusBadge status={c.status} />
                </span>
                {c.preview && (
                  <span className="preview">
                    {c.last_sender === "customer" ? "" : `${c.last_sender}: `}
                    {c.preview}
                  </span>
                )}
                <span className="muted small">{new Date(c.last_message_at).toLocaleString()}</span>
              </Link>
            </li>
          ))}
        </ul>
      </div>
      <div className="detail-pane">
        {conversationId ? (
          <ConversationView id={conversationId} />
        ) : (
          <Empty>Choose a conversation to read it.</Empty>
        )}
      </div>
    </section>
  );
}
