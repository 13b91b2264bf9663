import { describe, expect, it } from "vitest";
import { analyzeGlucose } from "../../../client/metrics/analysis.js";
import {
  consensusMetrics,
  DEFAULT_OPTIONS,
  IGLU_OPTIONS,
  type GlucoseSample,
} from "../../../client/metrics/consensus.js";
import { sharedFixture } from "../../helpers/sharedFixtures.js";
import { parseIgluExpected } from "./igluExpected.js";

const clarity = sharedFixture("dexcom-clarity-cgmquantify/test_file.csv");
const expectedCsv = sharedFixture("dexcom-clarity-cgmquantify/expected_consensus_metrics_by_iglu.csv");

/** EGV rows of the Clarity export, times read as UTC (the file has no offset; iglu ran in UTC too). */
function clarityEgvs(text: string): GlucoseSample[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.split(","))
    .filter((f) => f[2] === "EGV")
    .map((f) => ({ time: Date.parse(`${f[1]}Z`), mgdl: Number(f[7]) }));
}

describe.skipIf(!clarity.exists || !expectedCsv.exists)(
  "consensus metrics vs iglu 4.3.0 on the cgmquantify Clarity file",
  () => {
    it("matches every consensus number to 4 decimals with iglu settings", () => {
      const samples = clarityEgvs(clarity.read());
      const e = parseIgluExpected(expectedCsv.read());
      const m = consensusMetrics(samples, IGLU_OPTIONS);
      expect(m).not.toBeNull();
      if (!m) return;
      expect(m.readings).toBe(2148);
      const close = (actual: number, expected: number | undefined) =>
        expect(actual).toBeCloseTo(expected ?? Number.NaN, 4);
      close(m.mean, e.mean);
      close(m.sd, e.SD);
      close(m.cv, e.CV);
      close(m.gmi, e.GMI);
      close(m.percentiles.p50, e.median);
      close(m.activePercent, e.active_percent);
      expect(Math.round(m.days * 10) / 10).toBe(e.ndays);
      close(m.inRange70to140, e.in_range_70_140);
      close(m.inRange70to180, e.in_range_70_180);
      close(m.below54, e.below_54);
      close(m.below70, e.below_70);
      close(m.above180, e.above_180);
      close(m.above250, e.above_250);
      close(m.percentiles.p0, e["0"]);
      close(m.percentiles.p5, e["5"]);
      close(m.percentiles.p25, e["25"]);
      close(m.percentiles.p75, e["75"]);
      close(m.percentiles.p95, e["95"]);
      close(m.percentiles.p100, e["100"]);
      close(m.gri.gri, e.GRI);
      const full = analyzeGlucose(samples, { timeZone: "UTC" });
      close(full?.variability.mage ?? Number.NaN, e.MAGE);
      close(full?.variability.modd ?? Number.NaN, e.MODD);
      close(full?.risk.eA1c ?? Number.NaN, e.eA1C);
    });
  },
);

const t0 = Date.UTC(2026, 0, 1);
const every5 = (values: number[]): GlucoseSample[] => values.map((mgdl, i) => ({ time: t0 + i * 300_000, mgdl }));

describe("consensus metric conventions", () => {
  it("counts 70 and 180 as in range, 54 as not below 54, 250 as not above 250", () => {
    const m = consensusMetrics(every5([54, 69, 70, 180, 181, 250, 251, 53]));
    expect(m?.inRange70to180).toBe(25);
    expect(m?.below54).toBe(12.5);
    expect(m?.below70).toBe(37.5);
    expect(m?.above180).toBe(37.5);
    expect(m?.above250).toBe(12.5);
  });

  it("uses the sample SD by default and the population SD on request", () => {
    const samples = every5([100, 200]);
    expect(consensusMetrics(samples)?.sd).toBeCloseTo(Math.SQRT2 * 50, 10);
    expect(consensusMetrics(samples, { ...DEFAULT_OPTIONS, sd: "population" })?.sd).toBeCloseTo(50, 10);
  });

  it("computes GMI and CV from the mean", () => {
    const m = consensusMetrics(every5([150, 160, 170]));
    expect(m?.gmi).toBeCloseTo(3.31 + 0.02392 * 160, 10);
    expect(m?.cv).toBeCloseTo((10 / 160) * 100, 10);
  });

  it("loses the readings of a gap from % time active (iglu rule)", () => {
    // 12 readings 5 minutes apart, then 1 hour without data, then 12 more: 11 of 35 slots missing.
    const samples = [
      ...every5(Array(12).fill(120)),
      ...every5(Array(12).fill(120)).map((s) => ({ ...s, time: s.time + 115 * 60_000 })),
    ];
    const m = consensusMetrics(samples);
    expect(m?.activePercent).toBeCloseTo((24 / 35) * 100, 10);
  });

  it("weights a reading by the time it stands for when asked, so sparse stretches count less", () => {
    // Two lows 5 minutes apart, then highs every 15 minutes: by count half are low, by time far fewer.
    const samples = [
      { time: t0, mgdl: 60 },
      { time: t0 + 5 * 60_000, mgdl: 60 },
      { time: t0 + 10 * 60_000, mgdl: 200 },
      { time: t0 + 25 * 60_000, mgdl: 200 },
    ];
    expect(consensusMetrics(samples)?.below70).toBe(50);
    const timed = consensusMetrics(samples, { ...DEFAULT_OPTIONS, weighting: "time", intervalMinutes: 5 });
    // Weights 5, 5, 15 and 5 (the last reading stands for one interval).
    expect(timed?.below70).toBeCloseTo((10 / 30) * 100, 10);
  });

  it("returns null without readings", () => {
    expect(consensusMetrics([])).toBeNull();
  });
});
