import type { KeyboardEvent } from "react";
import type { Timeline } from "./ops/api";
import { formatDuration, tickLabel, timeScale } from "./ops/scale";

const WIDTH = 960;
const LABEL = 200;
const RIGHT = 90;
const ROW = 26;
const AXIS = 26;
const PLOT = WIDTH - LABEL - RIGHT;
export const STATUSES = ["completed", "running", "waiting", "retrying", "failed", "skipped", "cancelled"];

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export interface GanttProps {
  timeline: Timeline;
  selected: number | null;
  onSelect: (seq: number) => void;
  /** The time that bars of unfinished steps reach (ms since the epoch). */
  now: number;
}

/** The run's steps as bars on one time axis (SVG), coloured by status, with a legend. */
export function Gantt({ timeline, selected, onSelect, now }: GanttProps) {
  const entries = timeline.entries;
  const start = Date.parse(timeline.started_at);
  // A step left unfinished ends with the run when the run is over, else it is still going.
  const stop = timeline.finished_at ? Date.parse(timeline.finished_at) : now;
  const ends = entries.map((e) => (e.end ? Date.parse(e.end) : Math.max(stop, Date.parse(e.start))));
  const last = Math.max(start, stop, ...ends);
  const scale = timeScale(start, last, 6);
  const height = AXIS + entries.length * ROW + 8;
  const present = STATUSES.filter((s) => entries.some((e) => e.status === s));
  const key = (seq: number) => (event: KeyboardEvent) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onSelect(seq);
    }
  };
  return (
    <figure className="wf-gantt">
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        role="img"
        aria-label={`Timeline of ${entries.length} steps over ${formatDuration(last - start)}`}
      >
        {scale.ticks.map((t) => {
          const x = LABEL + scale.x(start + t, PLOT);
          return (
            <g key={t} className="wf-tick">
              <line x1={x} x2={x} y1={AXIS - 6} y2={height} />
              <text x={x} y={AXIS - 10} textAnchor="middle">
                {tickLabel(t)}
              </text>
            </g>
          );
        })}
        {entries.map((e, i) => {
          const y = AXIS + i * ROW;
          const from = Date.parse(e.start);
          const x0 = LABEL + scale.x(from, PLOT);
          const width = Math.max(3, scale.x(ends[i], PLOT) - scale.x(from, PLOT));
          const name = `${e.seq}. ${e.label || e.node_id}`;
          const duration = e.end ? formatDuration(e.duration_ms) : `${formatDuration(ends[i] - from)}, unfinished`;
          return (
            <g
              key={e.seq}
              className={`wf-bar-row${selected === e.seq ? " wf-bar-selected" : ""}`}
              role="button"
              tabIndex={0}
              aria-label={`${name} (${e.node_type}): ${e.status}, ${duration}`}
              aria-pressed={selected === e.seq}
              data-testid="gantt-bar"
              onClick={() => onSelect(e.seq)}
              onKeyDown={key(e.seq)}
            >
              <rect className="wf-bar-hit" x={0} y={y} width={WIDTH} height={ROW} />
              <text className="wf-bar-label" x={8} y={y + ROW / 2 + 4}>
                {cut(name, 26)}
              </text>
              <rect className={`wf-bar wf-bar-${e.status}`} x={x0} y={y + 5} width={width} height={ROW - 10} rx={3} />
              <text className="wf-bar-duration" x={Math.min(x0 + width + 6, WIDTH - RIGHT + 6)} y={y + ROW / 2 + 4}>
                {e.end ? formatDuration(e.duration_ms) : e.status}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="wf-legend" aria-label="Legend">
          {present.map((s) => (
            <li key={s}>
              <span className={`wf-swatch wf-bar-${s}`} aria-hidden="true" /> {s}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
