// Ambulatory Glucose Profile percentile curves, computed the way iglu does for its AGP
// (`CGMS2DayByDay` + R type-7 quantiles per grid point, no loess smoothing).
import { wallClockMs } from "../import/timezone.js";
import type { GlucoseSample } from "./consensus.js";
import { median, quantileSorted, roundHalfEven } from "./quantile.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface AgpOptions {
  /** IANA zone whose clock defines "time of day". */
  timeZone: string;
  /** Grid step in minutes; by default the median spacing rounded (iglu's `dt0`). */
  gridMinutes?: number;
  /** Grid points inside a gap longer than this stay empty instead of being interpolated (iglu `inter_gap`). */
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

/**
 * Readings are linearly interpolated onto a grid every `gridMinutes` from local midnight of the first
 * day (first point at 00:00 + step, as iglu), skipping points inside gaps over `maxGapMinutes` (45).
 * All days are folded onto one 24 h axis and each grid time gets 5/25/50/75/95 % type-7 quantiles.
 * Interpolation runs on the local wall clock, so a DST change doubles or skips one hour of grid.
 */
export function agpProfile(samples: readonly GlucoseSample[], options: AgpOptions): AgpPoint[] {
  const points = samples.map((s) => ({ t: wallClockMs(s.time, options.timeZone), g: s.mgdl })).sort((a, b) => a.t - b.t);
  if (points.length === 0) return [];
  const diffs: number[] = [];
  for (let i = 1; i < points.length; i++) diffs.push(((points[i] as { t: number }).t - (points[i - 1] as { t: number }).t) / MINUTE);
  const step = (options.gridMinutes ?? (diffs.length > 0 ? roundHalfEven(median(diffs)) : 5)) * MINUTE;
  const maxGap = (options.maxGapMinutes ?? 45) * MINUTE;
  const first = (points[0] as { t: number }).t;
  const last = (points[points.length - 1] as { t: number }).t;

  const byMinute = new Map<number, number[]>();
  let j = 0;
  for (let x = Math.floor(first / DAY) * DAY + step; x <= last; x += step) {
    if (x < first) continue;
    while (j + 1 < points.length && (points[j + 1] as { t: number }).t < x) j++;
    const a = points[j] as { t: number; g: number };
    const b = points[Math.min(j + 1, points.length - 1)] as { t: number; g: number };
    let value: number;
    if (a.t === x) value = a.g;
    else if (b.t === x) value = b.g;
    else if (b.t - a.t > maxGap || b.t === a.t) continue;
    else value = a.g + ((b.g - a.g) * (x - a.t)) / (b.t - a.t);
    const minute = Math.round((x % DAY) / MINUTE);
    const bucket = byMinute.get(minute);
    if (bucket) bucket.push(value);
    else byMinute.set(minute, [value]);
  }

  return [...byMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([minuteOfDay, values]) => {
      const sorted = values.sort((a, b) => a - b);
      return {
        minuteOfDay,
        days: sorted.length,
        p5: quantileSorted(sorted, 0.05),
        p25: quantileSorted(sorted, 0.25),
        p50: quantileSorted(sorted, 0.5),
        p75: quantileSorted(sorted, 0.75),
        p95: quantileSorted(sorted, 0.95),
      };
    });
}
