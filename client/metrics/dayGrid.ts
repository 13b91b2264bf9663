// iglu's `CGMS2DayByDay`: readings linearly interpolated onto a grid every `dt0` minutes from the
// patient's local midnight of the first day (first point 00:00 + dt0), one row per local day. Most
// variability metrics, the AGP and the episodes are computed on it.
import { DAY, localDate, MINUTE, type LocalSeries } from "./localTime.js";
import { medianInPlace, roundHalfEven } from "./stats.js";

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
  values: Float64Array;
  perDay: number;
  /** Local ms of the first row's midnight. */
  start: number;
}

/**
 * The grid, or null when there is nothing to interpolate: fewer than two distinct reading times, or
 * readings sparser than `interGap` (iglu stops with an error there; a report shows "not computable").
 */
export function dayGrid(readings: LocalSeries, options: GridOptions = {}): DayGrid | null {
  const interGap = options.interGap ?? 45;
  const { local, mgdl } = readings;
  const x = new Float64Array(local.length);
  const y = new Float64Array(local.length);
  let points = 0;
  for (let i = 0; i < local.length; i++) {
    // Readings at exactly the same time: iglu keeps the last one.
    if (i + 1 < local.length && local[i + 1] === local[i]) continue;
    x[points] = local[i] as number;
    y[points++] = mgdl[i] as number;
  }
  if (points < 2) return null;

  let dt0 = options.dt0;
  if (dt0 === undefined) {
    const diffs = new Float64Array(points - 1);
    for (let i = 1; i < points; i++) diffs[i - 1] = ((x[i] as number) - (x[i - 1] as number)) / MINUTE;
    dt0 = roundHalfEven(medianInPlace(diffs));
  }
  if (dt0 > interGap) return null;
  if (1440 % dt0 !== 0) {
    if (dt0 > 20) dt0 = 20;
    else {
      const remainder = dt0 % 5;
      dt0 = remainder > 2 ? dt0 + 5 - remainder : dt0 - remainder;
    }
  }

  const first = x[0] as number;
  const final = x[points - 1] as number;
  const ndays = Math.ceil((final - first) / DAY + 1);
  const perDay = 1440 / dt0;
  const start = Math.floor(first / DAY) * DAY;
  const step = dt0 * MINUTE;
  const maxGap = interGap * MINUTE;
  const values = new Float64Array(ndays * perDay);
  let j = 0;
  for (let k = 0; k < values.length; k++) {
    const t = start + (k + 1) * step;
    if (t < first || t > final) {
      values[k] = Number.NaN;
      continue;
    }
    while (j + 1 < points && (x[j + 1] as number) < t) j++;
    const b = Math.min(j + 1, points - 1);
    const xa = x[j] as number;
    const xb = x[b] as number;
    const ya = y[j] as number;
    const yb = y[b] as number;
    if (xa === t) values[k] = ya;
    else if (xb === t) values[k] = yb;
    // Strictly inside a gap longer than interGap: left empty.
    else if (xb - xa > maxGap) values[k] = Number.NaN;
    else values[k] = ya + ((yb - ya) * (t - xa)) / (xb - xa);
  }
  const dates = Array.from({ length: ndays }, (_, d) => localDate(start + d * DAY));
  return { dt0, dates, values, perDay, start };
}
