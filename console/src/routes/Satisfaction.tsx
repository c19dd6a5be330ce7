import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { get, type Schemas } from "../api/client";
import { StatCard } from "../components/StatCard";
import { Empty, ErrorBox, Loading } from "../components/Status";

type CsatSummary = Schemas["Summary"];
type Rating = Schemas["FeedbackPublic"];

const PERIODS = [7, 30, 90] as const;
const SCORES = ["5", "4", "3", "2", "1"] as const;

export interface Bar {
  score: string;
  count: number;
  /** Whole percent of all ratings, for the label and the bar's width. */
  percent: number;
}

/** The 1–5 distribution as bars, best score first; all zero when nobody rated. */
export function bars(distribution: Record<string, number>): Bar[] {
  const total = SCORES.reduce((sum, score) => sum + (distribution[score] ?? 0), 0);
  return SCORES.map((score) => {
    const count = distribution[score] ?? 0;
    return { score, count, percent: total ? Math.round((count / total) * 100) : 0 };
  });
}

/** A share (0..1) as a whole percent, or a dash when there is none. */
export function percent(share: number | null): string {
  return share === null ? "–" : `${Math.round(share * 100)}%`;
}

/** The start of the last `days` days, as the API wants it (with a time zone). */
export function sinceDays(days: number, now: Date = new Date()): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}

export default function Satisfaction() {
  const [days, setDays] = useState<number>(30);
  const summary = useQuery({
    queryKey: ["feedback-summary", days],
    queryFn: () => get<CsatSummary>("/feedback/summary", { since: sinceDays(days) }),
    staleTime: 0,
  });
  return (
    <section>
      <div className="row between">
        <h1>Customer satisfaction</h1>
        <label className="inline">
          Period{" "}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {PERIODS.map((d) => (
              <option key={d} value={d}>
                {d} days
              </option>
            ))}
          </select>
        </label>
      </div>
      {summary.isPending && <Loading />}
      {summary.error && <ErrorBox error={summary.error} retry={() => void summary.refetch()} />}
      {summary.data && <Figures summary={summary.data} />}
      <LatestRatings days={days} />
    </section>
  );
}

function Figures({ summary }: { summary: CsatSummary }) {
  const channels = Object.entries(summary.by_channel);
  return (
    <>
      <div className="cards">
        <StatCard label="CSAT (rated 4–5)" value={percent(summary.csat)} testId="csat" />
        <StatCard label="Average rating" value={summary.average === null ? "–" : summary.average.toFixed(2)} testId="csat-average" />
        <StatCard label="Ratings" value={summary.count} testId="csat-count" />
      </div>
      <div className="panel">
        <h2>Ratings by score</h2>
        <ul className="bars" aria-label="Ratings by score">
          {bars(summary.distribution).map((bar) => (
            <li key={bar.score} data-testid="score-bar">
              <span>{bar.score} ★</span>
              <span className="bar" aria-hidden="true">
                <span style={{ width: `${bar.percent}%` }} />
              </span>
              <span className="small">
                {bar.count} · {bar.percent}%
              </span>
            </li>
          ))}
        </ul>
      </div>
      <div className="panel">
        <h2>By channel</h2>
        {channels.length === 0 ? (
          <Empty>No ratings in this period.</Empty>
        ) : (
          <table aria-label="By channel">
            <thead>
              <tr>
                <th>Channel</th>
                <th>Ratings</th>
                <th>Average</th>
              </tr>
            </thead>
            <tbody>
              {channels.map(([channel, figures]) => (
                <tr key={channel}>
                  <td>{channel}</td>
                  <td>{figures.count}</td>
                  <td>{figures.average.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}

/** The period's newest ratings. */
function LatestRatings({ days }: { days: number }) {
  const latest = useQuery({
    queryKey: ["feedback", days],
    queryFn: () => get<Rating[]>("/feedback", { since: sinceDays(days), limit: 50 }),
  });
  return (
    <div className="panel">
      <h2>Latest ratings</h2>
      {latest.isPending && <Loading />}
      {latest.error && <ErrorBox error={latest.error} retry={() => void latest.refetch()} />}
      {latest.data?.length === 0 && <Empty>No ratings in this period.</Empty>}
      {latest.data && latest.data.length > 0 && (
        <table aria-label="Latest ratings">
          <thead>
            <tr>
              <th>When</th>
              <th>Score</th>
              <th>Channel</th>
              <th>How</th>
              <th>Comment</th>
              <th>Conversation</th>
            </tr>
          </thead>
          <tbody>
            {latest.data.map((rating) => (
              <tr key={rating.id} data-testid="rating-row">
                <td>{new Date(rating.created_at).toLocaleString()}</td>
                <td>{rating.score}</td>
                <td>{rating.channel}</td>
                <td>{rating.source}</td>
                <td className="rating-comment">{rating.comment || "—"}</td>
                <td>
                  <Link to={`/inbox/${rating.conversation_id}`} className="mono">
                    #{rating.conversation_id.slice(-6)}
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
