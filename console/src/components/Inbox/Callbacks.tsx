import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { get, post, type Schemas } from "../../api/client";
import { useCan } from "../../auth";
import { ErrorBox, Loading } from "../Status";

type Callback = Schemas["CallbackPublic"];

interface Props {
  /** Contact names by conversation id, from the conversations the inbox has loaded. */
  names: Record<string, string>;
}

/** Customers waiting to be called back (queued when no agent was available), oldest first. */
export function Callbacks({ names }: Props) {
  const canWrite = useCan("conversations:write");
  const client = useQueryClient();
  const pending = useQuery({
    queryKey: ["callbacks", "pending"],
    queryFn: () => get<Callback[]>("/callbacks", { status: "pending", limit: 100 }),
  });
  const finish = useMutation({
    mutationFn: ({ id, action }: { id: string; action: "done" | "cancel" }) => post<Callback>(`/callbacks/${id}/${action}`),
    onSettled: () => void client.invalidateQueries({ queryKey: ["callbacks"] }),
  });
  return (
    <section className="callbacks" aria-label="Callbacks">
      <h2>
        Callbacks {!!pending.data?.length && <span className="badge s-waiting">{pending.data.length}</span>}
      </h2>
      {pending.isPending && <Loading />}
      {pending.error && <ErrorBox error={pending.error} retry={() => void pending.refetch()} />}
      {finish.error && <ErrorBox error={finish.error} />}
      {pending.data?.length === 0 && <p className="muted small">No customer is waiting for a callback.</p>}
      <ul className="callback-list">
        {pending.data?.map((c) => (
          <li key={c.id} className="card" data-testid="callback">
            <Link to={`/inbox/${c.conversation_id}`}>{names[c.conversation_id] || `Visitor #${c.contact_id.slice(-6)}`}</Link>
            <span className="muted small">
              {c.reason} · since {new Date(c.requested_at).toLocaleString()}
            </span>
            {canWrite && (
              <span className="row">
                <button type="button" className="secondary" disabled={finish.isPending} onClick={() => finish.mutate({ id: c.id, action: "done" })}>
                  Done
                </button>
                <button type="button" className="link" disabled={finish.isPending} onClick={() => finish.mutate({ id: c.id, action: "cancel" })}>
                  Cancel
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
