// % time CGM active and days of data, with iglu's gap rule (iglu `active_percent`, 4.3.0).
import { medianInPlace, roundHalfEven } from "./stats.js";

const MINUTE = 60_000;

export interface CgmActive {
  /** 0-100. */
  percent: number;
  /** The expected sampling interval used (minutes). */
  intervalMinutes: number;
  /** Readings the span from first to last reading could hold at that interval. */
  expectedReadings: number;
  /** Readings missing inside gaps longer than the interval. */
  missingReadings: number;
  /** First to last reading, in days (unrounded; iglu prints it rounded to 0.1). */
  days: number;
}

/**
 * Pinned rule (iglu): the interval is the median spacing rounded to whole minutes unless given;
 * expected = round(span / interval) + 1; every spacing that rounds above the interval is a gap that
 * lost round((sum of gap lengths - gaps x interval) / interval) readings. R's half-to-even rounding is kept.
 * `times` are UTC ms, ascending; at least one reading.
 */
export function cgmActive(times: ArrayLike<number>, intervalMinutes?: number): CgmActive {
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? first;
  let dt0 = intervalMinutes ?? 5;
  if (intervalMinutes === undefined && times.length > 1) {
    const diffs = new Float64Array(times.length - 1);
    for (let i = 1; i < times.length; i++) diffs[i - 1] = ((times[i] as number) - (times[i - 1] as number)) / MINUTE;
    dt0 = roundHalfEven(medianInPlace(diffs));
  }
  const spanMinutes = (last - first) / MINUTE;
  const expected = roundHalfEven(roundHalfEven(spanMinutes) / dt0) + 1;
  let gapMinutes = 0;
  let gaps = 0;
  // With a whole dt0, a spacing below dt0 + 0.5 never rounds above it: only the others need R's rounding.
  const maybeGap = Number.isInteger(dt0) ? dt0 + 0.5 : Number.NEGATIVE_INFINITY;
  for (let i = 1; i < times.length; i++) {
    const d = ((times[i] as number) - (times[i - 1] as number)) / MINUTE;
    if (d >= maybeGap && roundHalfEven(d) > dt0) {
      gapMinutes += d;
      gaps++;
    }
  }
  const missing = roundHalfEven((gapMinutes - gaps * dt0) / dt0);
  return {
    percent: ((expected - missing) / expected) * 100,
    intervalMinutes: dt0,
    expectedReadings: expected,
    missingReadings: missing,
    days: spanMinutes / 1440,
  };
}
