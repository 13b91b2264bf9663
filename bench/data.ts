// Synthetic, deterministic patient data for the benchmarks: a 5-minute CGM trace with a daily
// rhythm and noise, hourly automated basal, boluses with meals, and a few events a day. Generated
// rather than read from fixtures so `npm run bench` works on a fresh clone.
import type { StewardRecord } from "../shared/records.js";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
const TRENDS = ["flat", "fortyFiveUp", "fortyFiveDown", "singleUp", "singleDown"] as const;

/** Mulberry32: a small seeded generator, so every run writes the same records (and a failing test seed can be run again). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface PatientData {
  readonly glucose: StewardRecord[];
  readonly insulin: StewardRecord[];
  readonly events: StewardRecord[];
}

/** Readings every 5 minutes for `days` days ending at `end` (ms), plus insulin and events. */
export function patientData(days: number, end: number, seed = 1): PatientData {
  const next = random(seed);
  const start = end - days * DAY;
  const glucose: StewardRecord[] = [];
  const insulin: StewardRecord[] = [];
  const events: StewardRecord[] = [];
  const common = { deviceId: "DexG7-bench-0001", timezoneOffset: 60, source: "clarity" as const };
  for (let time = start; time < end; time += 5 * MINUTE) {
    const dayPhase = ((time % DAY) / DAY) * 2 * Math.PI;
    const mgdl = Math.max(
      40,
      Math.min(400, Math.round(140 + 45 * Math.sin(dayPhase) + 30 * Math.sin(dayPhase * 3) + (next() - 0.5) * 40)),
    );
    glucose.push({
      id: `cgm-${time}`,
      type: "cgm",
      time,
      ...common,
      body: { mgdl, trend: TRENDS[Math.floor(next() * TRENDS.length)]!, intervalMs: 5 * MINUTE },
    });
  }
  for (let day = start; day < end; day += DAY) {
    for (let h = 0; h < 24; h++) {
      const time = day + h * HOUR + 2 * MINUTE;
      insulin.push({
        id: `basal-${time}`,
        type: "basal",
        time,
        deviceId: "MedT-780G-bench",
        body: { deliveryType: "automated", rate: Math.round((0.6 + next() * 0.8) * 100) / 100, durationMs: HOUR },
      });
    }
    for (const [h, meal] of [
      [7, "breakfast"],
      [12, "lunch"],
      [19, "dinner"],
    ] as const) {
      const time = day + h * HOUR + Math.floor(next() * 50) * MINUTE;
      const carbsG = 20 + Math.floor(next() * 60);
      events.push({ id: `food-${time}`, type: "food", time, source: "manual", body: { carbsG, meal } });
      insulin.push({
        id: `bolus-${time}`,
        type: "bolus",
        time: time + MINUTE,
        deviceId: "MedT-780G-bench",
        body: { subType: "normal", normal: Math.round(carbsG / 10) },
      });
    }
    const time = day + 17 * HOUR + Math.floor(next() * 60) * MINUTE;
    events.push({
      id: `activity-${time}`,
      type: "activity",
      time,
      source: "manual",
      body: { activityType: "walk", durationMin: 30 + Math.floor(next() * 30), intensity: "medium" },
    });
  }
  return { glucose, insulin, events };
}

/** `count` meals, walks and notes spread evenly over [start, end). */
export function spreadEvents(count: number, start: number, end: number): StewardRecord[] {
  const step = (end - start) / count;
  return Array.from({ length: count }, (_, i): StewardRecord => {
    const time = Math.floor(start + i * step);
    if (i % 3 === 0)
      return {
        id: `food-${time}`,
        type: "food",
        time,
        source: "manual",
        body: { carbsG: 30 + (i % 50), meal: "snack" },
      };
    if (i % 3 === 1)
      return {
        id: `activity-${time}`,
        type: "activity",
        time,
        source: "manual",
        body: { activityType: "walk", durationMin: 20 },
      };
    return {
      id: `note-${time}`,
      type: "note",
      time,
      source: "manual",
      body: { text: `felt low before the walk (${i})` },
    };
  });
}
