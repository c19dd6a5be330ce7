import { useQuery } from "@tanstack/react-query";
import { get, type Schemas } from "../../api/client";
import { Empty, ErrorBox, Loading } from "../Status";

type Figures = Schemas["Analytics"];

/** How messages were routed over the last 7 days (the API's default period). */
export function Analytics() {
  const analytics = useQuery({ queryKey: ["routing-analytics"], queryFn: () => get<Figures>("/routing/analytics") });
  const data = analytics.data;
  return (
    <section className="panel" aria-label="Last 7 days">
      <h2>Last 7 days</h2>
      {analytics.isPending && <Loading />}
      {analytics.error && <ErrorBox error={analytics.error} retry={() => void analytics.refetch()} />}
      {data && (
        <>
          <div className="cards">
            <div className="card stat">
              <div className="muted">Messages routed</div>
              <div className="value" data-testid="routing-total">
                {data.total}
              </div>
            </div>
            <div className="card stat">
              <div className="muted">Handed to a person</div>
              <div className="value">{data.escalated}</div>
            </div>
            <div className="card stat">
              <div className="muted">Escalation rate</div>
              <div className="value" data-testid="escalation-rate">
                {Math.round(data.escalation_rate * 1000) / 10}%
              </div>
            </div>
          </div>
          {data.rows.length === 0 ? (
            <Empty>No messages routed in this period.</Empty>
          ) : (
            <div className="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Handler</th>
                    <th>Reason</th>
                    <th>Messages</th>
                    <th>Answered</th>
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((row) => (
                    <tr key={`${row.handler} ${row.reason}`} data-testid="analytics-row">
                      <td>{row.handler}</td>
                      <td>{row.reason}</td>
                      <td>{row.count}</td>
                      <td>{row.answered}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
