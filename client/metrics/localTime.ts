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
export const HOUR = 3_600_000;
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
  // The zone's offset for the UTC hour last asked about, when it holds all hour long (NaN if not).
  let hour = Number.NaN;
  let hourOffset = Number.NaN;
  for (let i = 0; i < n; i++) {
    const s = samples[i] as GlucoseSample;
    utc[i] = s.time;
    mgdl[i] = s.mgdl;
    if (s.timezoneOffset !== undefined) {
      local[i] = s.time + s.timezoneOffset * MINUTE;
      continue;
    }
    const h = Math.floor(s.time / HOUR);
    if (h !== hour) {
      hour = h;
      const start = wallClockMs(h * HOUR, clock.timeZone) - h * HOUR;
      hourOffset =
        start === wallClockMs(h * HOUR + HOUR - 1000, clock.timeZone) - (h * HOUR + HOUR - 1000) ? start : Number.NaN;
    }
    local[i] = Number.isNaN(hourOffset) ? wallClockMs(s.time, clock.timeZone) : s.time + hourOffset;
  }
  return { utc, local, mgdl };
}

/** The series ascending by local time (stable); the same object when it already is. */
export function byLocalTime(series: LocalSeries): LocalSeries {
  const order = stableOrder(series.local);
  return order
    ? { utc: permute(series.utc, order), local: permute(series.local, order), mgdl: permute(series.mgdl, order) }
    : series;
}

/**
 * The indices that sort `keys` ascending, ties in index order; null when already sorted. Readings
 * arrive nearly sorted (a clock change or a second import leaves a few ascending runs), so the
 * runs are found and merged pairwise: linear for a handful of runs, n log n at worst.
 */
export function stableOrder(keys: Float64Array): Uint32Array | null {
  const n = keys.length;
  let runs = [0];
  for (let i = 1; i < n; i++) if ((keys[i] as number) < (keys[i - 1] as number)) runs.push(i);
  if (runs.length === 1) return null;
  runs.push(n);
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let spare = new Uint32Array(n);
  while (runs.length > 2) {
    const merged = [0];
    for (let r = 0; r + 1 < runs.length; r += 2) {
      const lo = runs[r] as number;
      const mid = runs[r + 1] as number;
      const hi = r + 2 < runs.length ? (runs[r + 2] as number) : mid;
      let i = lo;
      let j = mid;
      let k = lo;
      // On equal keys the left run goes first, which keeps the sort stable.
      while (i < mid && j < hi)
        spare[k++] =
          (keys[order[j] as number] as number) < (keys[order[i] as number] as number)
            ? (order[j++] as number)
            : (order[i++] as number);
      while (i < mid) spare[k++] = order[i++] as number;
      while (j < hi) spare[k++] = order[j++] as number;
      merged.push(hi);
    }
    [order, spare] = [spare, order];
    runs = merged;
  }
  return order;
}

export function permute(values: Float64Array, order: ArrayLike<number>): Float64Array {
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
