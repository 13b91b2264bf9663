// iglu's 5-subject example data (GPL, read in place, never copied) against the numbers the research
// brief computed with iglu 4.3.0 (anchors-domain.md section 5.1).
import { describe, expect, it } from "vitest";
import { agpProfile } from "../../../client/metrics/agp.js";
import { analyzeGlucose } from "../../../client/metrics/analysis.js";
import { consensusMetrics, IGLU_OPTIONS, type GlucoseSample } from "../../../client/metrics/consensus.js";
import { sharedFixture } from "../../helpers/sharedFixtures.js";

const data = sharedFixture("iglu-example-data-5-subject/example_data_5_subject.csv");

function subjects(text: string): Map<string, GlucoseSample[]> {
  const out = new Map<string, GlucoseSample[]>();
  for (const line of text.trim().split(/\r?\n/).slice(1)) {
    const [id, , utc, gl] = line.split(",").map((c) => c.replace(/"/g, ""));
    if (!id || !utc || gl === undefined || gl === "NA") continue;
    const list = out.get(id) ?? [];
    list.push({ time: Date.parse(utc), mgdl: Number(gl) });
    out.set(id, list);
  }
  return out;
}

// n, mean, SD, CV, GMI, median, active %, TIR, TITR, <54, <70, >180, >250, GRI, MAGE, MODD
const EXPECTED: Record<string, number[]> = {
  "Subject 1": [
    2915, 123.6655, 33.2681, 26.9017, 6.2681, 112, 79.8411, 91.6638, 73.7221, 0, 0.1372, 8.199, 0.3774, 7.1904, 72.4243,
    27.8087,
  ],
  "Subject 2": [
    2829, 218.4528, 52.3711, 23.9736, 8.5354, 211, 58.913, 26.4404, 3.3581, 0, 0, 73.5596, 26.087, 79.7172, 118.0735,
    44.056,
  ],
  "Subject 3": [
    1533, 154.0417, 44.7831, 29.0721, 6.9947, 140, 92.1274, 81.3438, 49.8369, 0, 0.3262, 18.3301, 5.6751, 19.987,
    115.7773, 48.1929,
  ],
  "Subject 4": [
    3664, 129.6744, 29.0678, 22.416, 6.4118, 126, 98.6803, 95.1146, 67.7402, 0.0546, 0.2729, 4.6124, 0, 4.3777, 70.8582,
    24.8534,
  ],
  "Subject 5": [
    2925, 174.6075, 58.5766, 33.5476, 7.4866, 164, 95.776, 62.1197, 30.1197, 0, 0.1026, 37.7778, 11.2821, 39.494,
    142.2893, 59.3864,
  ],
};

describe.skipIf(!data.exists)("iglu example_data_5_subject", () => {
  const bySubject = data.exists ? subjects(data.read()) : new Map<string, GlucoseSample[]>();

  it.each(Object.keys(EXPECTED))("%s matches the 4-decimal iglu table (within 0.0005)", (id) => {
    const m = consensusMetrics(bySubject.get(id) ?? [], IGLU_OPTIONS);
    const e = EXPECTED[id] ?? [];
    expect(m?.readings).toBe(e[0]);
    // iglu's data is in its EST zone (fixed UTC-5), so its days are EST days.
    const full = analyzeGlucose(bySubject.get(id) ?? [], { timeZone: "Etc/GMT+5" });
    const actual = [
      m?.mean,
      m?.sd,
      m?.cv,
      m?.gmi,
      m?.percentiles.p50,
      m?.activePercent,
      m?.inRange70to180,
      m?.inRange70to140,
      m?.below54,
      m?.below70,
      m?.above180,
      m?.above250,
      m?.gri.gri,
      full?.variability.mage,
      full?.variability.modd,
    ];
    for (const [i, v] of actual.entries()) expect(v, `column ${i + 1}`).toBeCloseTo(e[i + 1] ?? Number.NaN, 3);
  });

  it("gives iglu's unsmoothed AGP percentiles for subject 1 at 06:00 (EST grid)", () => {
    const profile = agpProfile(bySubject.get("Subject 1") ?? [], { timeZone: "Etc/GMT+5", maxGapMinutes: 45 });
    const six = profile.find((p) => p.minuteOfDay === 360);
    expect(six).toBeDefined();
    expect(six?.p5).toBeCloseTo(97.74, 2);
    expect(six?.p25).toBeCloseTo(102.08, 2);
    expect(six?.p50).toBeCloseTo(109.97, 2);
    expect(six?.p75).toBeCloseTo(126.0, 2);
    expect(six?.p95).toBeCloseTo(146.02, 2);
  });
});
