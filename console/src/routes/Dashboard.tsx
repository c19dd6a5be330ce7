import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { get, type Stats } from "../api/client";
import { useCan } from "../auth";
import { StatCard } from "../components/StatCard";
import { ErrorBox, Loading } from "../components/Status";
import { VolumeChart } from "../components/VolumeChart";

const PERIODS = [
  { label: "24 hours", hours: 24, bucket: "hour" },
  { label: "7 days", hours: 24 * 7, bucket: "day" },
  { label: "30 days", hours: 24 * 30, bucket: "day" },
] as const;

function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

export function totals(stats: Stats): { inbound: number; outbound: number } {
  let inbound = 0;
  let outbound = 0;
  for (const point of stats.volume) {
    if (point.direction === "in") inbound += point.count;
    else outbound += point.count;
  }
  return { inbound, outbound };
}

export default function Dashboard() {
  const [period, setPeriod] = useState(0);
  const { hours, bucket } = PERIODS[period];
  const stats = useQuery({
    queryKey: ["stats", hours, bucket],
    queryFn: () => get<Stats>("/stats", { hours, bucket }),
    staleTime: 0,
  });
  return (
    <section>
      <div className="row between">
        <h1>Dashboard</h1>
        <label className="inline">
          Period{" "}
          <select value={period} onChange={(e) => setPeriod(Number(e.target.value))}>
            {PERIODS.map((p, i) => (
              <option key={p.label} value={i}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {stats.isPending && <Loading />}
      {stats.error && <ErrorBox error={stats.error} retry={() => void stats.refetch()} />}
      {stats.data && <Figures stats={stats.data} />}
      <LlmCost />
    </section>
  );
}

function Figures({ stats }: { stats: Stats }) {
  const { inbound, outbound } = totals(stats);
  const c = stats.conversations;
  return (
    <>
      <div className="cards">
        <StatCard label="Messages in" value={inbound} testId="messages-in" />
        <StatCard label="Messages out" value={outbound} />
        <StatCard label="Waiting for a human" value={c.waiting ?? 0} />
        <StatCard label="With an agent" value={c.human ?? 0} />
        <StatCard label="With the bot" value={c.bot ?? 0} />
        <StatCard label="Closed" value={c.closed ?? 0} />
        <StatCard label="Queue depth" value={stats.queue_depth} />
        <StatCard label="Dead letters" value={stats.dead_letters} warn={stats.dead_letters > 0} />
      </div>
      <div className="cards">
        <StatCard label="Reply latency p50" value={ms(stats.latency.p50_ms)} />
        <StatCard label="p95" value={ms(stats.latency.p95_ms)} />
        <StatCard label="p99" value={ms(stats.latency.p99_ms)} />
        <StatCard label="Replies measured" value={stats.latency.count} />
      </div>
      <div className="panel">
        <h2>Message volume by channel</h2>
        <VolumeChart stats={stats} />
      </div>
      <div className="panel">
        <h2>Processing</h2>
        <table>
          <thead>
            <tr>
              <th>Job status</th>
              <th>Count</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(stats.jobs).map(([status, count]) => (
              <tr key={status}>
                <td>{status}</td>
                <td>{count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

interface UsageReport {
  calls: number;
  cost_usd: string;
  cache_hits: number;
  budget_usd: number | null;
}

/** This month's LLM spend against the tenant's budget (hidden without `llm:read`). */
function LlmCost() {
  const allowed = useCan("llm:read");
  const usage = useQuery({
    queryKey: ["llm-usage"],
    queryFn: () => get<UsageReport>("/llm/usage", { period: "month", limit: 1 }),
    enabled: allowed,
  });
  if (!allowed || !usage.data) return null;
  const cost = Number(usage.data.cost_usd);
  const budget = usage.data.budget_usd;
  const share = budget ? cost / budget : null;
  return (
    <div className="cards">
      <StatCard label="LLM cost this month" value={`$${cost.toFixed(2)}`} testId="llm-cost" />
      <StatCard
        label="of budget"
        value={share === null ? "no budget" : `${Math.round(share * 100)}% of $${budget}`}
        warn={share !== null && share >= 0.8}
      />
      <StatCard label="LLM calls" value={usage.data.calls} />
      <StatCard label="Answered from cache" value={usage.data.cache_hits} />
    </div>
  );
}
