// Everything the AGP report draws, from the records of its period: the one place the report calls
// the metrics module (client/metrics), so the screens only lay it out.
import { agpProfile, type AgpPoint } from "../../client/metrics/agp.js";
import { cgmActive } from "../../client/metrics/cgmActive.js";
import { consensusMetrics, type ConsensusMetrics, type GlucoseSample } from "../../client/metrics/consensus.js";
import type { StewardRecord } from "../../shared/records.js";
import { cgmSamples } from "../components/useRecords.js";
import { patientDay, type PatientClock } from "./patientClock.js";

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
  clock: PatientClock;
  samples: GlucoseSample[];
  metrics: ConsensusMetrics | null;
  /** AGP percentiles by time of day, unsmoothed (the values behind the curves). */
  agp: AgpPoint[];
  /** Every patient-local day of the period, oldest first, with or without readings. */
  days: DayProfile[];
  daysWithData: number;
  /** The sensor's usual spacing in minutes: a longer pause between readings is a gap. */
  intervalMinutes: number;
}

function dayRange(range: Range, clock: PatientClock): string[] {
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

export function glucoseReport(glucose: readonly StewardRecord[], range: Range, clock: PatientClock): GlucoseReport {
  const samples = cgmSamples(glucose);
  const metrics = consensusMetrics(samples);
  const byDay = new Map<string, DayProfile["points"]>();
  for (const s of samples) {
    const { day, msOfDay } = patientDay(s.time, clock);
    let points = byDay.get(day);
    if (!points) byDay.set(day, (points = []));
    points.push({ minute: msOfDay / 60_000, mgdl: s.mgdl });
  }
  const days = dayRange(range, clock).map((day) => ({ day, points: byDay.get(day) ?? [] }));
  return {
    clock,
    samples,
    metrics,
    agp: agpProfile(samples, { timeZone: clock.timeZone }),
    days,
    daysWithData: days.filter((d) => d.points.length > 0).length,
    intervalMinutes: samples.length > 1 ? cgmActive(samples.map((s) => s.time)).intervalMinutes : 5,
  };
}

