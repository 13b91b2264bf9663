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
const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const week: GlucoseSample[] = Array.from({ length: 7 * 288 }, (_, i) => {
  const flown = i >= 3 * 288;
  const minute = (i * 5) % 1440;
  const mgdl = Math.round(
    140 + 80 * Math.sin((minute / 1440) * 2 * Math.PI) + (next() - 0.5) * 60 - (minute > 120 && minute < 200 ? 70 : 0),
  );
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

describe("the parts of the analysis computed when first read", () => {
  const metrics = (a: ReturnType<typeof analyzeGlucose>) => ({
    dayNight: a?.dayNight,
    firstDay: a?.days[0]?.metrics,
    variability: { ...a?.variability, sd: { ...a?.variability.sd } },
  });

  it("are there when the analysis is copied, cloned or sent as JSON, with the values read directly", () => {
    const read = metrics(analyzeGlucose(week, { timeZone: "Europe/Berlin" }));
    expect(read.dayNight?.night?.mean).toBeGreaterThan(0);
    expect(read.firstDay?.mean).toBeGreaterThan(0);
    expect(Number.isFinite(read.variability.gvp) && Number.isFinite(read.variability.sd.sdWithinSeries1h)).toBe(true);
    const sent = JSON.parse(JSON.stringify(analyzeGlucose(week, { timeZone: "Europe/Berlin" })));
    expect(sent.dayNight).toEqual(JSON.parse(JSON.stringify(read.dayNight)));
    expect(sent.days[0].metrics).toEqual(JSON.parse(JSON.stringify(read.firstDay)));
    expect(sent.variability).toEqual(JSON.parse(JSON.stringify(read.variability)));
    expect(metrics(structuredClone(analyzeGlucose(week, { timeZone: "Europe/Berlin" })))).toEqual(read);
  });

  it("can be set like any other property", () => {
    const a = analyzeGlucose(week, { timeZone: "Europe/Berlin" });
    if (!a) throw new Error("no analysis");
    a.variability.gvp = 1;
    expect(a.variability.gvp).toBe(1);
  });
});
