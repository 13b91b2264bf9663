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

/** A reading on the patient's wall clock: `local` is local time read as if it were UTC (ms). */
export interface LocalSample {
  time: number;
  local: number;
  mgdl: number;
}

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** Readings on the patient's wall clock, ascending by local time (stable: ties keep input order). */
export function toLocal(samples: readonly GlucoseSample[], clock: PatientClock): LocalSample[] {
  return samples
    .map((s) => ({ time: s.time, local: s.timezoneOffset === undefined ? wallClockMs(s.time, clock.timeZone) : s.time + s.timezoneOffset * MINUTE, mgdl: s.mgdl }))
    .sort((a, b) => a.local - b.local);
}

/** "YYYY-MM-DD" of a local wall-clock ms value. */
export function localDate(local: number): string {
  return new Date(local).toISOString().slice(0, 10);
}

/** Ms after local midnight of a local wall-clock ms value. */
export function timeOfDay(local: number): number {
  return ((local % DAY) + DAY) % DAY;
}
