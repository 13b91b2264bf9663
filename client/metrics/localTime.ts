// The patient's local clock for each reading. Days, times of day and day/night are the patient's,
// never the viewer's: a reading's own UTC offset (stored at import) wins, the patient's zone fills in.
import { wallClockMs } from "../import/timezone.js";

export interface GlucoseSample {
  /** UTC ms. */
  time: number;
  /** mg/dL; "Low"/"High" readings carry the device limit (e.g. 40/400) and so land in <54 / >250. */
  mgdl: number;
  /** Minutes to add to UTC for the patient's local time then (records' `timezoneOffset`). */
  timezoneOffset?: number;
}

export interface PatientClock {
  /** The patient's IANA zone, used for readings that carry no offset. */
  timeZone: string;
}

/**
 * Readings on the patient's wall clock, as columns of equal length: `local` is local time read as
 * if it were UTC (ms), `utc` the true time. Columns keep the metrics free of per-reading objects.
 */
export interface LocalSeries {
  readonly utc: Float64Array;
  readonly local: Float64Array;
  readonly mgdl: Float64Array;
}

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** Readings on the patient's wall clock, ascending by local time (stable: ties keep input order). */
export function toLocal(samples: readonly GlucoseSample[], clock: PatientClock): LocalSeries {
  return byLocalTime(onPatientClock(samples, clock));
}

/** The samples as columns with their local times, in input order. */
export function onPatientClock(samples: readonly GlucoseSample[], clock: PatientClock): LocalSeries {
  const n = samples.length;
  const utc = new Float64Array(n);
  const local = new Float64Array(n);
  const mgdl = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = samples[i] as GlucoseSample;
    utc[i] = s.time;
    local[i] = s.timezoneOffset === undefined ? wallClockMs(s.time, clock.timeZone) : s.time + s.timezoneOffset * MINUTE;
    mgdl[i] = s.mgdl;
  }
  return { utc, local, mgdl };
}

/** The series ascending by local time (stable); the same object when it already is. */
export function byLocalTime(series: LocalSeries): LocalSeries {
  const order = stableOrder(series.local);
  return order ? { utc: permute(series.utc, order), local: permute(series.local, order), mgdl: permute(series.mgdl, order) } : series;
}

/**
 * The indices that sort `keys` ascending, ties in index order; null when already sorted (records
 * usually arrive in time order, so the common case costs one pass).
 */
export function stableOrder(keys: Float64Array): number[] | null {
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = (keys[i - 1] as number) <= (keys[i] as number);
  if (sorted) return null;
  // Array#sort is a stable merge sort that runs in near-linear time on nearly sorted input.
  return Array.from(keys, (_, i) => i).sort((a, b) => (keys[a] as number) - (keys[b] as number));
}

export function permute(values: Float64Array, order: readonly number[]): Float64Array {
  const out = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = values[order[i] as number] as number;
  return out;
}

const dates = new Map<number, string>();

/** "YYYY-MM-DD" of a local wall-clock ms value. */
export function localDate(local: number): string {
  // Formatting a date costs a microsecond and reports ask per day and per episode: remember them.
  const day = dayNumber(local);
  let date = dates.get(day);
  if (date === undefined) {
    if (dates.size >= 100_000) dates.clear();
    date = new Date(day * DAY).toISOString().slice(0, 10);
    dates.set(day, date);
  }
  return date;
}

/** Days since 1970-01-01 of a local wall-clock ms value (one number per local date). */
export function dayNumber(local: number): number {
  return Math.floor(local / DAY);
}

/** Ms after local midnight of a local wall-clock ms value. */
export function timeOfDay(local: number): number {
  // Subtracting the day's start is exact and far cheaper than `%` on doubles; `%` is kept for
  // values where the division rounds across midnight.
  const ms = local - Math.floor(local / DAY) * DAY;
  return ms >= 0 && ms < DAY ? ms : ((local % DAY) + DAY) % DAY;
}
