import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Stats } from "../api/client";
import { Empty } from "./Status";

const COLORS = ["#3b5bdb", "#2f9e44", "#e8590c", "#ae3ec9", "#1098ad", "#c92a2a"];

/** Series per channel and direction over every bucket of the period (seconds since epoch),
 * zero where nothing was sent. */
export function volumeSeries(
  stats: Stats,
  now: number = Date.now() / 1000,
): { x: number[]; series: { label: string; values: number[] }[] } {
  const step = stats.bucket === "day" ? 86400 : 3600;
  const last = Math.floor(now / step) * step;
  const buckets: number[] = [];
  for (let t = last - Math.ceil((stats.hours * 3600) / step - 1) * step; t <= last; t += step) buckets.push(t);
  const index = new Map(buckets.map((b, i) => [b, i]));
  const byLabel = new Map<string, number[]>();
  for (const point of stats.volume) {
    const label = `${point.channel} ${point.direction === "in" ? "in" : "out"}`;
    const values = byLabel.get(label) ?? buckets.map(() => 0);
    const at = index.get(Date.parse(point.bucket) / 1000);
    if (at !== undefined) values[at] += point.count;
    byLabel.set(label, values);
  }
  return { x: buckets, series: [...byLabel.entries()].map(([label, values]) => ({ label, values })) };
}

export function VolumeChart({ stats }: { stats: Stats }) {
  const box = useRef<HTMLDivElement>(null);
  const data = volumeSeries(stats);
  useEffect(() => {
    if (!box.current || data.series.length === 0) return;
    const width = Math.max(280, box.current.clientWidth);
    const chart = new uPlot(
      {
        width,
        height: 260,
        series: [
          {},
          ...data.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: true } })),
        ],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { label: "messages" }],
      },
      [data.x, ...data.series.map((s) => s.values)],
      box.current,
    );
    return () => chart.destroy();
  }, [stats]);
  if (data.series.length === 0) return <Empty>No messages in this period yet.</Empty>;
  return <div ref={box} className="chart" />;
}
