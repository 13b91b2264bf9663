// iglu's `CGMS2DayByDay`: readings linearly interpolated onto a grid every `dt0` minutes from the
// patient's local midnight of the first day (first point 00:00 + dt0), one row per local day. Most
// variability metrics, the AGP and the episodes are computed on it.
import { DAY, localDate, MINUTE, type LocalSample } from "./localTime.js";
import { median, roundHalfEven } from "./stats.js";

export interface GridOptions {
  /** Grid step in minutes; by default the median spacing rounded (iglu `dt0`). */
  dt0?: number;
  /** No interpolation across gaps longer than this, in minutes (iglu `inter_gap`, 45). */
  interGap?: number;
}

export interface DayGrid {
  /** Step in minutes. */
  dt0: number;
  /** Local dates of the rows. */
  dates: string[];
  /** Row-major: `values[day * perDay + k]` is the value at local 00:00 + (k + 1) x dt0; NaN where missing. */
  values: number[];
  perDay: number;
  /** Local ms of the first row's midnight. */
  start: number;
}

/**
 * The grid, or null when there is nothing to interpolate: fewer than two distinct reading times, or
 * readings sparser than `interGap` (iglu stops with an error there; a report shows "not computable").
 */
export function dayGrid(readings: readonly LocalSample[], options: GridOptions = {}): DayGrid | null {
  const interGap = options.interGap ?? 45;
  // Readings at exactly the same time: iglu keeps the last one.
  const points: LocalSample[] = [];
  for (let i = 0; i < readings.length; i++) {
    const next = readings[i + 1];
    if (next && next.local === (readings[i] as LocalSample).local) continue;
    points.push(readings[i] as LocalSample);
  }
  if (points.length < 2) return null;
  const diffs: number[] = [];
  for (let i = 1; i < points.length; i++) diffs.push(((points[i] as LocalSample).local - (points[i - 1] as LocalSample).local) / MINUTE);

  let dt0 = options.dt0 ?? roundHalfEven(median(diffs));
  if (dt0 > interGap) return null;
  if (1440 % dt0 !== 0) {
    if (dt0 > 20) dt0 = 20;
    else {
      const remainder = dt0 % 5;
      dt0 = remainder > 2 ? dt0 + 5 - remainder : dt0 - remainder;
    }
  }

  const first = (points[0] as LocalSample).local;
  const last = (points[points.length - 1] as LocalSample).local;
  const ndays = Math.ceil((last - first) / DAY + 1);
  const perDay = 1440 / dt0;
  const start = Math.floor(first / DAY) * DAY;
  const step = dt0 * MINUTE;
  const maxGap = interGap * MINUTE;
  const values = new Array<number>(ndays * perDay);
  let j = 0;
  for (let k = 0; k < values.length; k++) {
    const x = start + (k + 1) * step;
    if (x < first || x > last) {
      values[k] = Number.NaN;
      continue;
    }
    while (j + 1 < points.length && (points[j + 1] as LocalSample).local < x) j++;
    const a = points[j] as LocalSample;
    const b = points[Math.min(j + 1, points.length - 1)] as LocalSample;
    if (a.local === x) values[k] = a.mgdl;
    else if (b.local === x) values[k] = b.mgdl;
    // Strictly inside a gap longer than interGap: left empty.
    else if (b.local - a.local > maxGap) values[k] = Number.NaN;
    else values[k] = a.mgdl + ((b.mgdl - a.mgdl) * (x - a.local)) / (b.local - a.local);
  }
  const dates = Array.from({ length: ndays }, (_, d) => localDate(start + d * DAY));
  return { dt0, dates, values, perDay, start };
}

/** Row `day` of the grid. */
export function gridRow(grid: DayGrid, day: number): number[] {
  return grid.values.slice(day * grid.perDay, (day + 1) * grid.perDay);
}

/** Column `k` (one time of day across all days). */
export function gridColumn(grid: DayGrid, k: number): number[] {
  return grid.dates.map((_, d) => grid.values[d * grid.perDay + k] as number);
}
