// Groupings by the patient's local clock: one profile per local day (midnight to midnight, as the
// AGP report's daily profiles) and the day/night split (06:00-24:00 / 00:00-06:00, iglu
// `calculate_sleep_wake(sleep_start = 0, sleep_end = 6)`).
import {
  byTime,
  consensusOfReadings,
  DEFAULT_OPTIONS,
  type ConsensusMetrics,
  type MetricsOptions,
  type TimeOrdered,
} from "./consensus.js";
import { lazy } from "./lazy.js";
import {
  DAY,
  dayNumber,
  localDate,
  MINUTE,
  timeOfDay,
  toLocal,
  type GlucoseSample,
  type LocalSeries,
  type PatientClock,
} from "./localTime.js";

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
export function dailyProfiles(
  samples: readonly GlucoseSample[],
  clock: PatientClock,
  options: MetricsOptions = DEFAULT_OPTIONS,
): DailyProfile[] {
  return profilesOf(toLocal(samples, clock), options);
}

/** As `dailyProfiles`, from readings already on the patient's clock. */
export function profilesOf(series: LocalSeries, options: MetricsOptions = DEFAULT_OPTIONS): DailyProfile[] {
  const { utc, local, mgdl } = series;
  const out: DailyProfile[] = [];
  for (let i = 0; i < local.length; ) {
    const midnight = dayNumber(local[i] as number) * DAY;
    let end = i;
    while (end < local.length && (local[end] as number) < midnight + DAY) end++;
    const readings: DailyReading[] = [];
    for (let k = i; k < end; k++)
      readings.push({
        time: utc[k] as number,
        minuteOfDay: ((local[k] as number) - midnight) / MINUTE,
        mgdl: mgdl[k] as number,
      });
    const from = i;
    // Computed when read: a report draws the day's readings and rarely shows its metrics.
    const day = { date: localDate(local[i] as number), readings } as DailyProfile;
    out.push(
      lazy(
        day,
        "metrics",
        () =>
          consensusOfReadings(byTime(utc.subarray(from, end), mgdl.subarray(from, end)), options) as ConsensusMetrics,
      ),
    );
    i = end;
  }
  return out;
}

export interface DayNight<T> {
  /** 06:00 to midnight, patient-local. */
  day: T;
  /** Midnight to 06:00. */
  night: T;
}

/** The samples split by the patient's local hour: night is hours 0-5. */
export function splitDayNight(
  samples: readonly GlucoseSample[],
  clock: PatientClock,
  nightEndHour = 6,
): DayNight<GlucoseSample[]> {
  const parts = splitSeries(toLocal(samples, clock), nightEndHour);
  const asSamples = ({ time, mgdl }: TimeOrdered) =>
    Array.from(time, (t, i): GlucoseSample => ({ time: t, mgdl: mgdl[i] as number }));
  return { day: asSamples(parts.day), night: asSamples(parts.night) };
}

/** The consensus metrics by day and by night; null for a part without readings. */
export function dayNightMetrics(
  samples: readonly GlucoseSample[],
  clock: PatientClock,
  options: MetricsOptions = DEFAULT_OPTIONS,
): DayNight<ConsensusMetrics | null> {
  return dayNightOf(toLocal(samples, clock), options);
}

/** As `dayNightMetrics`, from readings already on the patient's clock. */
export function dayNightOf(
  series: LocalSeries,
  options: MetricsOptions = DEFAULT_OPTIONS,
): DayNight<ConsensusMetrics | null> {
  const parts = splitSeries(series);
  return {
    day: consensusOfReadings(byTime(parts.day.time, parts.day.mgdl), options),
    night: consensusOfReadings(byTime(parts.night.time, parts.night.mgdl), options),
  };
}

/** Each part's UTC times and values, in the series' (local) order. */
function splitSeries(series: LocalSeries, nightEndHour = 6): DayNight<TimeOrdered> {
  const { utc, local, mgdl } = series;
  const night = new Uint8Array(local.length);
  let nights = 0;
  // The local hour is below nightEndHour exactly when the time of day is below its whole hour.
  const nightEnd = Math.ceil(nightEndHour) * 3_600_000;
  for (let i = 0; i < local.length; i++) {
    if (timeOfDay(local[i] as number) < nightEnd) {
      night[i] = 1;
      nights++;
    }
  }
  const part = (want: number, size: number): TimeOrdered => {
    const time = new Float64Array(size);
    const values = new Float64Array(size);
    for (let i = 0, k = 0; i < local.length; i++) {
      if (night[i] !== want) continue;
      time[k] = utc[i] as number;
      values[k++] = mgdl[i] as number;
    }
    return { time, mgdl: values };
  };
  return { day: part(0, local.length - nights), night: part(1, nights) };
}
