import { describe, expect, it } from "vitest";
import { agpProfile } from "../../../client/metrics/agp.js";

const MIN = 60_000;
// Midnight in Berlin (UTC+1 in January).
const dayStart = Date.UTC(2026, 0, 5) - 60 * MIN;

describe("AGP percentile curves", () => {
  it("folds days by local time of day and takes type-7 percentiles across days", () => {
    // Ten days, a reading every 5 minutes, glucose = 100 + 10 x day index at every time of day.
    const samples = [];
    for (let d = 0; d < 10; d++)
      for (let m = 0; m < 1440; m += 5) samples.push({ time: dayStart + d * 1440 * MIN + m * MIN, mgdl: 100 + 10 * d });
    const profile = agpProfile(samples, { timeZone: "Europe/Berlin" });
    expect(profile).toHaveLength(288);
    const noon = profile.find((p) => p.minuteOfDay === 720);
    expect(noon?.days).toBe(10);
    // Values 100..190: p5 at h = 0.45 -> 104.5, median 145, p95 at h = 8.55 -> 185.5.
    expect(noon?.p5).toBeCloseTo(104.5, 10);
    expect(noon?.p50).toBeCloseTo(145, 10);
    expect(noon?.p95).toBeCloseTo(185.5, 10);
  });

  it("interpolates between readings but leaves gaps longer than 45 minutes empty", () => {
    const samples = [
      { time: dayStart + 60 * MIN, mgdl: 100 },
      { time: dayStart + 80 * MIN, mgdl: 140 },
      { time: dayStart + 200 * MIN, mgdl: 90 },
    ];
    const profile = agpProfile(samples, { timeZone: "Europe/Berlin", gridMinutes: 5 });
    expect(profile.find((p) => p.minuteOfDay === 70)?.p50).toBeCloseTo(120, 10);
    expect(profile.find((p) => p.minuteOfDay === 120)).toBeUndefined();
    expect(profile.find((p) => p.minuteOfDay === 200)?.p50).toBe(90);
  });
});
