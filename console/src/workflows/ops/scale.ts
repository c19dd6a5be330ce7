// The time axis of the Gantt chart: a span, readable tick steps and duration labels.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Tick steps a person reads easily, from a millisecond to a month. */
export const STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY,
];

/** The smallest readable step that cuts ``span`` ms into at most ``maxTicks`` parts. */
export function tickStep(span: number, maxTicks = 6): number {
  const wanted = Math.max(span, 1) / Math.max(maxTicks, 1);
  return STEPS.find((step) => step >= wanted) ?? Math.ceil(wanted / (30 * DAY)) * 30 * DAY;
}

export interface Scale {
  /** Start of the axis, ms since the epoch. */
  start: number;
  /** Length of the axis in ms (at least the last tick). */
  span: number;
  step: number;
  /** Tick offsets from ``start`` in ms, 0 included. */
  ticks: number[];
  /** x (0..width) of an absolute time in ms. */
  x: (at: number, width: number) => number;
}

/** An axis from ``start`` covering ``end`` with whole steps. */
export function timeScale(start: number, end: number, maxTicks = 6): Scale {
  const raw = Math.max(end - start, 1);
  const step = tickStep(raw, maxTicks);
  const span = Math.ceil(raw / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= span; t += step) ticks.push(t);
  return { start, span, step, ticks, x: (at, width) => ((at - start) / span) * width };
}

const trim = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, ""));

/** A short duration: "850 ms", "1.2 s", "3 min 5 s", "2 h 3 min", "2 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < MINUTE) return `${trim(Math.round(ms / 100) / 10)} s`;
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) => {
    const whole = Math.floor(ms / big);
    const rest = Math.floor((ms - whole * big) / small);
    return rest ? `${whole} ${bigUnit} ${rest} ${smallUnit}` : `${whole} ${bigUnit}`;
  };
  if (ms < HOUR) return pair(MINUTE, "min", SECOND, "s");
  if (ms < DAY) return pair(HOUR, "h", MINUTE, "min");
  return pair(DAY, "d", HOUR, "h");
}

/** A tick label: offset from the run's start ("0", "+500 ms", "+2 min"). */
export function tickLabel(offset: number): string {
  return offset === 0 ? "0" : `+${formatDuration(offset)}`;
}
