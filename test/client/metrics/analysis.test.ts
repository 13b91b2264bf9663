// A report must not depend on the order the readings arrive in: two imports appended one after the
// other, a page of records in reverse, or any shuffle give the same analysis, number for number.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyzeGlucose } from "../../../client/metrics/analysis.js";
import type { GlucoseSample } from "../../../client/metrics/localTime.js";

const MIN = 60_000;
// A week every 5 minutes, off the minute grid; on day 3 the patient flies west (UTC+1 to UTC-5) and
// the sensor restarts 61 s later, so local times overlap without coinciding.
const start = Date.UTC(2026, 5, 1) + 137_000;
let seed = 11;
const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const week: GlucoseSample[] = Array.from({ length: 7 * 288 }, (_, i) => {
  const flown = i >= 3 * 288;
  const minute = (i * 5) % 1440;
  const mgdl = Math.round(140 + 80 * Math.sin((minute / 1440) * 2 * Math.PI) + (next() - 0.5) * 60 - (minute > 120 && minute < 200 ? 70 : 0));
  return { time: start + i * 5 * MIN + (flown ? 61_000 : 0), timezoneOffset: flown ? -300 : 60, mgdl };
});

describe("the analysis whatever order the readings come in", () => {
  const expected = analyzeGlucose(week, { timeZone: "Europe/Berlin" });

  it("is the same for readings reversed or appended in two runs", () => {
    expect(expected?.episodes?.hypoLv1.total).toBeGreaterThan(0);
    expect(analyzeGlucose([...week].reverse(), { timeZone: "Europe/Berlin" })).toEqual(expected);
    const odd = week.filter((_, i) => i % 2 === 1);
    const even = week.filter((_, i) => i % 2 === 0);
    expect(analyzeGlucose([...odd, ...even], { timeZone: "Europe/Berlin" })).toEqual(expected);
  });

  it("is the same for any shuffle", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(week, { minLength: week.length, maxLength: week.length }), (shuffled) => {
        expect(analyzeGlucose(shuffled, { timeZone: "Europe/Berlin" })).toEqual(expected);
      }),
      { numRuns: 15 },
    );
  });
});
