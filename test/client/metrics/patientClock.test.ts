// Days belong to the patient: a clinician in another zone sees the AGP, the daily profiles and the
// day/night split the patient sees.
import { describe, expect, it } from "vitest";
import { analyzeGlucose } from "../../../client/metrics/analysis.js";
import { episodesByDay, type EpisodeSummary } from "../../../client/metrics/episodes.js";
import { glucoseSamples } from "../../../client/metrics/samples.js";
import { offsetMinutesAt } from "../../../client/import/timezone.js";
import type { StewardRecord } from "../../../shared/records.js";

const MIN = 60_000;
// Five days from midnight in Berlin (UTC+1 in January), a reading every 5 minutes; glucose is high
// from 00:00 to 06:00 Berlin time and in range otherwise.
const start = Date.UTC(2026, 0, 5) - 60 * MIN;
const records: StewardRecord[] = Array.from({ length: 5 * 288 }, (_, i) => {
  const time = start + i * 5 * MIN;
  const minuteOfDay = (i * 5) % 1440;
  return {
    id: `r${i}`,
    type: "cgm",
    time,
    timezoneOffset: offsetMinutesAt(time, "Europe/Berlin"),
    source: "clarity",
    body: { mgdl: minuteOfDay < 360 ? 220 : 110 },
  };
});

describe("the patient's local day, whatever the viewer's zone", () => {
  const patient = analyzeGlucose(glucoseSamples(records), { timeZone: "Europe/Berlin" });
  const clinician = analyzeGlucose(glucoseSamples(records), { timeZone: "America/Los_Angeles" });

  it("gives a clinician in Los Angeles the same AGP, daily profiles and night as the patient in Berlin", () => {
    expect(clinician?.agp).toEqual(patient?.agp);
    expect(clinician?.days).toEqual(patient?.days);
    expect(clinician?.dayNight).toEqual(patient?.dayNight);
    expect(clinician?.episodes).toEqual(patient?.episodes);
  });

  it("folds by Berlin time: the night (00:00-06:00) is the high part and each day starts at Berlin midnight", () => {
    expect(patient?.dayNight.night?.above180).toBe(100);
    expect(patient?.dayNight.day?.inRange70to180).toBe(100);
    expect(patient?.days.map((d) => d.date)).toEqual([
      "2026-01-05",
      "2026-01-06",
      "2026-01-07",
      "2026-01-08",
      "2026-01-09",
    ]);
    expect(patient?.days[0]?.readings[0]?.minuteOfDay).toBe(0);
    const at = (minute: number) => patient?.agp.unsmoothed.find((p) => p.minuteOfDay === minute)?.p50;
    expect(at(300)).toBe(220);
    expect(at(420)).toBe(110);
    // Every Berlin night is one hyperglycaemia episode, counted on its own day.
    const nights = episodesByDay(patient?.episodes?.hyperLv1 as EpisodeSummary, patient?.days.map((d) => d.date) ?? []);
    expect(nights.map((n) => n.count)).toEqual([1, 1, 1, 1, 1]);
    expect(nights[1]?.minutes).toBeGreaterThanOrEqual(360);
  });

  it("uses the patient's zone for readings stored without an offset", () => {
    const bare = glucoseSamples(records).map(({ time, mgdl }) => ({ time, mgdl }));
    const inBerlin = analyzeGlucose(bare, { timeZone: "Europe/Berlin" });
    expect(inBerlin?.agp).toEqual(patient?.agp);
    expect(analyzeGlucose(bare, { timeZone: "America/Los_Angeles" })?.dayNight.night?.above180).toBe(0);
  });
});
