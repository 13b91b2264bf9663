// Everything the AGP report draws about glucose, from the records of its period: the one place the
// report calls the metrics module (client/metrics, `analyzeGlucose`), so the screens only lay it out.
// Days and times of day are the patient's (each reading's own UTC offset), whoever reads it.

import {
  analyzeGlucose,
  cgmActive,
  type GlucoseAnalysis,
  type Population,
  type StewardRecord,
} from "../../client/index.js";
import { cgmSamples } from "../components/useRecords.js";
import { patientDay, type ReportClock } from "./reportClock.js";

export interface Range {
  from: number;
  to: number;
}

export interface DayProfile {
  /** The patient's calendar day, "YYYY-MM-DD". */
  day: string;
  /** Readings of that day: minutes after the patient's midnight, mg/dL, in time order. */
  points: { minute: number; mgdl: number }[];
}

export interface GlucoseReport {
  analysis: GlucoseAnalysis | null;
  /** Every patient-local day of the period, oldest first, with or without readings. */
  days: DayProfile[];
  daysWithData: number;
  /** The sensor's usual spacing in minutes: a longer pause between readings is a gap. */
  intervalMinutes: number;
}

/** The patient's calendar days from `range.from` to `range.to`. */
function dayRange(range: Range, clock: ReportClock): string[] {
  const days: string[] = [];
  const last = patientDay(range.to, clock).day;
  for (let t = range.from; ; t += 86_400_000) {
    const { day } = patientDay(t, clock);
    if (day > last) break;
    if (days.at(-1) !== day) days.push(day);
    if (day === last) break;
  }
  return days;
}

export function glucoseReport(
  glucose: readonly StewardRecord[],
  range: Range,
  clock: ReportClock,
  population: Population,
): GlucoseReport {
  const samples = cgmSamples(glucose);
  const analysis = analyzeGlucose(samples, { timeZone: clock.timeZone, population });
  const byDay = new Map(
    (analysis?.days ?? []).map((d) => [d.date, d.readings.map((r) => ({ minute: r.minuteOfDay, mgdl: r.mgdl }))]),
  );
  const calendar = dayRange(range, clock);
  // A reading whose own offset puts it on a day the report's clock does not list still gets its panel.
  const days = [...new Set([...calendar, ...byDay.keys()])]
    .sort()
    .map((day) => ({ day, points: byDay.get(day) ?? [] }));
  return {
    analysis,
    days,
    daysWithData: byDay.size,
    intervalMinutes: samples.length > 1 ? Math.max(1, cgmActive(samples.map((s) => s.time)).intervalMinutes) : 5,
  };
}
