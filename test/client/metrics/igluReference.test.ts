// Every metric against iglu 4.3.0, to 4 decimals, on the reference data made by
// reference/iglu_reference.R: six synthetic sets (gaps, repeated readings, a time-zone change, a
// sparse day at 15-minute sampling, long highs, a sensor's first 75 minutes) and the cgmquantify
// Clarity export (read in place).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { smoothAgp } from "../../../client/metrics/agp.js";
import { analyzeGlucose, type GlucoseAnalysis } from "../../../client/metrics/analysis.js";
import type { EpisodeKind } from "../../../client/metrics/episodes.js";
import type { GlucoseSample } from "../../../client/metrics/localTime.js";
import { mage, type MageDirection } from "../../../client/metrics/mage.js";
import { toLocal } from "../../../client/metrics/localTime.js";
import { dayGrid } from "../../../client/metrics/dayGrid.js";
import { conga, mag } from "../../../client/metrics/variability.js";
import { sharedFixture } from "../../helpers/sharedFixtures.js";

const here = new URL("./reference/", import.meta.url);
type Expected = Record<string, unknown> & {
  n: number;
  all_metrics_extended_hyper: number;
  episodes: Record<
    string,
    { avg_ep_per_day: number; avg_ep_duration: number; avg_ep_gl: number | null; total_episodes: number }
  >;
  sd_measures: Record<string, number>;
  cv_measures: Record<string, number>;
  sleep_wake: Record<string, number>;
  agp: { minutes: number[]; p5: number[]; p25: number[]; p50: number[]; p75: number[]; p95: number[] };
  /** Fitted values by percentile label ("5%" .. "95%"), with R's two loess surfaces. */
  agp_loess_interpolate: Record<string, number[]>;
  agp_loess_direct: Record<string, number[]>;
};
const expected = (name: string) => JSON.parse(readFileSync(new URL(`expected_${name}.json`, here), "utf8")) as Expected;

function synthetic(name: string): GlucoseSample[] {
  return readFileSync(new URL(`synthetic_${name}.csv`, here), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [time, offset, gl] = line.split(",");
      return { time: Date.parse(time as string), timezoneOffset: Number(offset), mgdl: Number(gl) };
    });
}

const clarity = sharedFixture("dexcom-clarity-cgmquantify/test_file.csv");
function clarityEgvs(): GlucoseSample[] {
  return clarity
    .read()
    .split(/\r?\n/)
    .map((line) => line.split(","))
    .filter((f) => f[2] === "EGV")
    .map((f) => ({ time: Date.parse(`${f[1]}Z`), mgdl: Number(f[7]) }));
}

const EPISODES: Record<string, EpisodeKind> = {
  "hypo lv1": "hypoLv1",
  "hypo lv2": "hypoLv2",
  "hypo extended": "hypoExtended",
  "hyper lv1": "hyperLv1",
  "hyper lv2": "hyperLv2",
  "hyper extended": "hyperExtended",
  "hypo lv1_excl": "hypoLv1Exclusive",
  "hyper lv1_excl": "hyperLv1Exclusive",
};

/** iglu's NA is null in the JSON and NaN here. */
function close(actual: number | undefined, want: unknown, what: string) {
  if (want === null) expect.soft(actual, what).toBeNaN();
  else expect.soft(actual, what).toBeCloseTo(want as number, 4);
}

function checkAll(samples: GlucoseSample[], e: Expected) {
  const a = analyzeGlucose(samples, {
    timeZone: "UTC",
    ranges: [{ atLeast: 63, atMost: 140 }, { below: 63 }, { above: 140 }],
  }) as GlucoseAnalysis;
  expect(a).not.toBeNull();
  const c = a.consensus;
  expect(c.readings).toBe(e.n);
  const scalar: Record<string, number | undefined> = {
    mean: c.mean,
    sd: c.sd,
    cv: c.cv,
    gmi: c.gmi,
    active_percent: c.activePercent,
    in_range_70_180: c.inRange70to180,
    in_range_70_140: c.inRange70to140,
    in_range_63_140: a.ranges[0]?.percent,
    below_63: a.ranges[1]?.percent,
    above_140: a.ranges[2]?.percent,
    below_54: c.below54,
    below_70: c.below70,
    above_180: c.above180,
    above_250: c.above250,
    gri: a.gri.gri,
    mage: a.variability.mage,
    modd: a.variability.modd,
    conga_1: a.variability.conga,
    j_index: a.risk.jIndex,
    lbgi: a.risk.lbgi,
    hbgi: a.risk.hbgi,
    adrr: a.risk.adrr,
    ea1c: a.risk.eA1c,
    iqr: a.variability.iqr,
    mad: a.variability.mad,
    m_value: a.risk.mValue,
    gvp: a.variability.gvp,
    mag: a.variability.mag,
    hyper_index: a.risk.hyperIndex,
    hypo_index: a.risk.hypoIndex,
    igc: a.risk.igc,
    grade: a.risk.grade.grade,
    grade_eugly: a.risk.grade.euglycemia,
    grade_hyper: a.risk.grade.hyperglycemia,
    grade_hypo: a.risk.grade.hypoglycemia,
    cogi: a.risk.cogi,
    auc: a.variability.auc,
  };
  for (const [key, value] of Object.entries(scalar)) close(value, e[key], key);

  // Options beyond the defaults.
  const local = toLocal(samples, { timeZone: "UTC" });
  for (const direction of ["service", "max", "plus", "minus"] as MageDirection[])
    close(mage(local, { direction }), e[`mage_${direction}`], `mage ${direction}`);
  const grid = dayGrid(local);
  close(grid ? conga(grid, 24) : Number.NaN, e.conga_24, "conga n = 24");
  close(grid ? mag(grid, 60) : Number.NaN, e.mag_60, "mag n = 60");

  const sd = a.variability.sd;
  const sdMap: Record<string, number> = {
    SDw: sd.sdWithinDays,
    SDhhmm: sd.sdBetweenTimePoints,
    SDwsh: sd.sdWithinSeries1h,
    SDdm: sd.sdDailyMeans,
    SDb: sd.sdBetweenDays,
    SDbdm: sd.sdBetweenDaysDailyMeanCorrected,
  };
  for (const [key, value] of Object.entries(sdMap)) close(value, e.sd_measures[key], key);
  close(a.variability.cvMean, e.cv_measures.CVmean, "CVmean");
  close(a.variability.cvSd, e.cv_measures.CVsd, "CVsd");

  for (const [label, row] of Object.entries(e.episodes)) {
    const kind = EPISODES[label] as EpisodeKind;
    const got = a.episodes?.[kind];
    expect(got?.total, `${label} total`).toBe(row.total_episodes);
    close(got?.perDay, row.avg_ep_per_day, `${label} per day`);
    close(got?.meanDurationMinutes, row.avg_ep_duration, `${label} duration`);
    close(got?.meanMgdl, row.avg_ep_gl, `${label} glucose`);
  }
  // Extended hyperglycaemia is what iglu's all_metrics reports as total_extended_hyper_episodes.
  expect(a.episodes?.hyperExtended.total, "all_metrics extended hyper").toBe(e.all_metrics_extended_hyper);

  // iglu's "sleep" is 00:00-06:00 (night), "wake" the rest of the day. Without a night reading
  // iglu's left join of the two parts leaves no row (every value NA); Steward still reports the day.
  const noNight = a.dayNight.night === null;
  if (noNight)
    expect(
      Object.values(e.sleep_wake).every((v) => v === null),
      "iglu has no night either",
    ).toBe(true);
  for (const [part, m] of noNight
    ? []
    : ([
        ["sleep", a.dayNight.night],
        ["wake", a.dayNight.day],
      ] as const)) {
    const fields: [string, number | undefined][] = [
      ["mean", m?.mean],
      ["SD", m?.sd],
      ["in_range_70_180", m?.inRange70to180],
      ["below_54", m?.below54],
      ["below_70", m?.below70],
      ["above_180", m?.above180],
      ["above_250", m?.above250],
    ];
    for (const [name, value] of fields) close(value, e.sleep_wake[`${name} ${part}`], `${name} ${part}`);
  }

  const byMinute = new Map(a.agp.unsmoothed.map((p) => [p.minuteOfDay || 1440, p]));
  const smoothed = new Map(a.agp.smoothed.map((p) => [p.minuteOfDay || 1440, p]));
  const direct = new Map(smoothAgp(a.agp.unsmoothed, 0.3, "direct").map((p) => [p.minuteOfDay || 1440, p]));
  e.agp.minutes.forEach((minute, i) => {
    const p = byMinute.get(minute);
    const s = smoothed.get(minute);
    // A time of day without data has no AGP point here and NA in iglu.
    for (const key of ["p5", "p25", "p50", "p75", "p95"] as const) {
      close(p?.[key] ?? Number.NaN, e.agp[key][i], `AGP ${key} at ${minute}`);
      close(
        s?.[key] ?? Number.NaN,
        e.agp_loess_interpolate[`${key.slice(1)}%`]?.[i],
        `smoothed AGP ${key} at ${minute}`,
      );
      close(
        direct.get(minute)?.[key] ?? Number.NaN,
        e.agp_loess_direct[`${key.slice(1)}%`]?.[i],
        `direct loess ${key} at ${minute}`,
      );
    }
  });
}

describe("every metric equals iglu 4.3.0 to 4 decimals", () => {
  it.each(["gaps", "duplicates", "zonechange", "sparseday", "sustainedhigh", "firsthour"])(
    "synthetic set: %s",
    (name) => {
      checkAll(synthetic(name), expected(name));
    },
  );

  it.skipIf(!clarity.exists)("the cgmquantify Clarity export (from ../shared/fixtures)", () => {
    checkAll(clarityEgvs(), expected("clarity"));
  });
});
