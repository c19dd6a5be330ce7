import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { get, type Schemas } from "../../api/client";
import { Empty, ErrorBox, Loading } from "../Status";
import type { Rule } from "./RuleForm";

type Decision = Schemas["DecisionPublic"];

/** The 20 latest routing decisions, each with a link to its conversation in the inbox. */
export function Decisions({ rules }: { rules: Rule[] }) {
  const decisions = useQuery({
    queryKey: ["routing-decisions"],
    queryFn: () => get<Decision[]>("/routing/decisions", { limit: 20 }),
  });
  const ruleName = (id: string) => rules.find((r) => r.id === id)?.name ?? id;
  return (
    <section className="panel" aria-label="Latest decisions">
      <h2>Latest decisions</h2>
      {decisions.isPending && <Loading />}
      {decisions.error && <ErrorBox error={decisions.error} retry={() => void decisions.refetch()} />}
      {decisions.data?.length === 0 && <Empty>No decisions yet.</Empty>}
      {!!decisions.data?.length && (
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Handler</th>
                <th>Reason</th>
                <th>Rule</th>
                <th>Answered</th>
                <th>Conversation</th>
              </tr>
            </thead>
            <tbody>
              {decisions.data.map((d) => (
                <tr key={d.id} data-testid="decision">
                  <td className="small">{new Date(d.created_at).toLocaleString()}</td>
                  <td>{d.handler}</td>
                  <td>{d.reason}</td>
                  <td>{d.rule_id ? ruleName(d.rule_id) : "—"}</td>
                  <td>{d.answered ? "yes" : "no"}</td>
                  <td>
                    <Link to={`/inbox/${d.conversation_id}`}>Open</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
