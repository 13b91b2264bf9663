// Ambulatory Glucose Profile percentile curves, computed the way iglu's `plot_agp` does: readings on
// the day-by-day grid (`CGMS2DayByDay`), R type-7 quantiles per time of day across the patient's
// local days, optionally smoothed by R's loess (local quadratic regression, span 0.3).
import { dayGrid, type DayGrid, type GridOptions } from "./dayGrid.js";
import { loess, type LoessSurface } from "./loess.js";
import { toLocal, type GlucoseSample, type PatientClock } from "./localTime.js";
import { quantileSorted } from "./stats.js";

export interface AgpOptions extends PatientClock {
  /** Grid step in minutes; by default the median spacing rounded (iglu's `dt0`). */
  gridMinutes?: number;
  /** Grid points inside a gap longer than this stay empty instead of being interpolated (iglu `inter_gap`, 45). */
  maxGapMinutes?: number;
}

export interface AgpPoint {
  /** Minutes after local midnight (0 stands for 24:00 folded onto 00:00). */
  minuteOfDay: number;
  /** Days contributing a value at this time of day. */
  days: number;
  p5: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
}

const PERCENTILES = ["p5", "p25", "p50", "p75", "p95"] as const;
const PROBS = [0.05, 0.25, 0.5, 0.75, 0.95];

/** Unsmoothed AGP of the samples folded by the patient's local time of day. */
export function agpProfile(samples: readonly GlucoseSample[], options: AgpOptions): AgpPoint[] {
  const grid = dayGrid(toLocal(samples, options), gridOptions(options));
  return grid ? agpFromGrid(grid) : [];
}

export function gridOptions(options: AgpOptions): GridOptions {
  return {
    ...(options.gridMinutes === undefined ? {} : { dt0: options.gridMinutes }),
    interGap: options.maxGapMinutes ?? 45,
  };
}

/** Type-7 quantiles per grid column; times of day without any value are left out. */
export function agpFromGrid(grid: DayGrid): AgpPoint[] {
  const points: AgpPoint[] = [];
  const ndays = grid.dates.length;
  const column = new Float64Array(ndays);
  for (let k = 0; k < grid.perDay; k++) {
    let n = 0;
    for (let d = 0; d < ndays; d++) {
      const v = grid.values[d * grid.perDay + k] as number;
      if (!Number.isNaN(v)) column[n++] = v;
    }
    if (n === 0) continue;
    const values = column.subarray(0, n).sort();
    const [p5, p25, p50, p75, p95] = PROBS.map((p) => quantileSorted(values, p)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    points.push({ minuteOfDay: ((k + 1) * grid.dt0) % 1440, days: n, p5, p25, p50, p75, p95 });
  }
  return points.sort((a, b) => a.minuteOfDay - b.minuteOfDay);
}

/**
 * The curves smoothed as iglu's `plot_agp(smooth = TRUE)`: each percentile is fitted by R's loess
 * (degree 2, span 0.3, its default interpolated surface) against the time of day 00:00 + dt0 .. 24:00.
 */
export function smoothAgp(points: readonly AgpPoint[], span = 0.3, surface: LoessSurface = "interpolate"): AgpPoint[] {
  // iglu's x axis runs dt0..1440 minutes, with 24:00 last rather than folded onto 00:00.
  const ordered = [...points].sort((a, b) => (a.minuteOfDay || 1440) - (b.minuteOfDay || 1440));
  const x = ordered.map((p) => p.minuteOfDay || 1440);
  const fitted = PERCENTILES.map((key) =>
    loess(
      x,
      ordered.map((p) => p[key]),
      span,
      surface,
    ),
  );
  return ordered
    .map((p, i) => ({
      ...p,
      p5: fitted[0]?.[i] ?? Number.NaN,
      p25: fitted[1]?.[i] ?? Number.NaN,
      p50: fitted[2]?.[i] ?? Number.NaN,
      p75: fitted[3]?.[i] ?? Number.NaN,
      p95: fitted[4]?.[i] ?? Number.NaN,
    }))
    .sort((a, b) => a.minuteOfDay - b.minuteOfDay);
}
