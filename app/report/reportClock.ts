// The patient's clock for a report's dates and event times: whoever reads the report and wherever
// (a clinician in New York reads a Berlin patient's 07:00 as 07:00). The metrics fold each reading by
// its own stored offset; dates and times the report prints use the offset of the latest record, and
// the report says which it is.

import { type StewardRecord, wallClockMs } from "../../client/index.js";

export interface ReportClock {
  /** An IANA zone that reads like the patient's clock over the report. */
  readonly timeZone: string;
  /** "UTC+01:00", for the report's header. */
  readonly label: string;
}

function offsetLabel(minutes: number): string {
  const sign = minutes < 0 ? "−" : "+";
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** The patient's zone from their records; the viewer's own zone when no record says. */
export function reportClock(records: readonly StewardRecord[], viewerZone: string): ReportClock {
  const latest = [...records].reverse().find((r) => r.timezoneOffset !== undefined);
  const offset = latest?.timezoneOffset;
  if (offset === undefined) {
    const here = Math.round((wallClockMs(Date.now(), viewerZone) - Date.now()) / 60_000);
    return { timeZone: viewerZone, label: `${offsetLabel(here)}, this device's zone: the records do not say theirs` };
  }
  // Etc/GMT zones are whole hours with the sign reversed (Etc/GMT-1 is UTC+01:00).
  if (offset % 60 === 0)
    return {
      timeZone: offset === 0 ? "UTC" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset / 60)}`,
      label: offsetLabel(offset),
    };
  return { timeZone: viewerZone, label: `${offsetLabel(offset)} (shown in this device's zone)` };
}

/** ms since the patient's local midnight of `time`'s day, and that day as "YYYY-MM-DD". */
export function patientDay(time: number, clock: ReportClock): { day: string; msOfDay: number } {
  const local = wallClockMs(time, clock.timeZone);
  const msOfDay = ((local % 86_400_000) + 86_400_000) % 86_400_000;
  return { day: new Date(local - msOfDay).toISOString().slice(0, 10), msOfDay };
}
