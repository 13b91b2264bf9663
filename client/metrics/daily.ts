// Groupings by the patient's local clock: one profile per local day (midnight to midnight, as the
// AGP report's daily profiles) and the day/night split (06:00-24:00 / 00:00-06:00, iglu
// `calculate_sleep_wake(sleep_start = 0, sleep_end = 6)`).
import { consensusMetrics, DEFAULT_OPTIONS, type ConsensusMetrics, type MetricsOptions } from "./consensus.js";
import { localDate, MINUTE, timeOfDay, toLocal, type GlucoseSample, type PatientClock } from "./localTime.js";

export interface DailyReading {
  /** UTC ms. */
  time: number;
  /** Minutes after the patient's local midnight (fractional). */
  minuteOfDay: number;
  mgdl: number;
}

export interface DailyProfile {
  /** Patient-local date, "YYYY-MM-DD". */
  date: string;
  readings: DailyReading[];
  metrics: ConsensusMetrics;
}

/** One profile per patient-local day that has readings, in date order. */
export function dailyProfiles(samples: readonly GlucoseSample[], clock: PatientClock, options: MetricsOptions = DEFAULT_OPTIONS): DailyProfile[] {
  const byDate = new Map<string, { readings: DailyReading[]; samples: GlucoseSample[] }>();
  for (const s of toLocal(samples, clock)) {
    const date = localDate(s.local);
    let day = byDate.get(date);
    if (!day) byDate.set(date, (day = { readings: [], samples: [] }));
    day.readings.push({ time: s.time, minuteOfDay: timeOfDay(s.local) / MINUTE, mgdl: s.mgdl });
    day.samples.push({ time: s.time, mgdl: s.mgdl });
  }
  return [...byDate.entries()].map(([date, day]) => ({ date, readings: day.readings, metrics: consensusMetrics(day.samples, options) as ConsensusMetrics }));
}

export interface DayNight<T> {
  /** 06:00 to midnight, patient-local. */
  day: T;
  /** Midnight to 06:00. */
  night: T;
}

/** The samples split by the patient's local hour: night is hours 0-5. */
export function splitDayNight(samples: readonly GlucoseSample[], clock: PatientClock, nightEndHour = 6): DayNight<GlucoseSample[]> {
  const out: DayNight<GlucoseSample[]> = { day: [], night: [] };
  for (const s of toLocal(samples, clock)) {
    const hour = Math.floor(timeOfDay(s.local) / 3_600_000);
    (hour < nightEndHour ? out.night : out.day).push({ time: s.time, mgdl: s.mgdl });
  }
  return out;
}

/** The consensus metrics by day and by night; null for a part without readings. */
export function dayNightMetrics(samples: readonly GlucoseSample[], clock: PatientClock, options: MetricsOptions = DEFAULT_OPTIONS): DayNight<ConsensusMetrics | null> {
  const split = splitDayNight(samples, clock);
  return { day: consensusMetrics(split.day, options), night: consensusMetrics(split.night, options) };
}
