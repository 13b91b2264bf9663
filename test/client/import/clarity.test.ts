import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importClarityFile } from "../../../client/import/clarity.js";
import { consensusMetrics, IGLU_OPTIONS } from "../../../client/metrics/consensus.js";
import { sharedFixture } from "../../helpers/sharedFixtures.js";

const clarity = sharedFixture("dexcom-clarity-cgmquantify/test_file.csv");

describe.skipIf(!clarity.exists)("Dexcom Clarity export (cgmquantify test file)", () => {
  it("imports all 2,148 EGVs, the identity rows into one profile, and explains the alert-setting rows", async () => {
    const { records, skipped, rows } = await importClarityFile(readFileSync(clarity.path), {
      timeZone: "America/Los_Angeles",
    });
    expect(rows).toBe(2160);
    expect(skipped.map((s) => s.reason)).toEqual(["header", ...Array(7).fill("alert setting (not represented)")]);
    const cgm = records.filter((r) => r.type === "cgm");
    expect(cgm).toHaveLength(2148);
    // 2016-10-24 11:24:17 in Los Angeles is PDT (UTC-7).
    expect(cgm[0]).toMatchObject({
      time: Date.parse("2016-10-24T18:24:17Z"),
      deviceTime: "2016-10-24T11:24:17",
      timezoneOffset: -420,
      body: { mgdl: 103 },
    });
    expect(records.find((r) => r.type === "profile")?.body).toEqual({
      name: "Joe Schmoe",
      birthDate: "1/1/1970",
      identifiers: { Device: "Dexcom G6 Mobile App" },
    });
    // Imported readings give iglu's mean.
    expect(
      consensusMetrics(
        cgm.map((r) => ({ time: r.time, mgdl: r.type === "cgm" ? r.body.mgdl : 0 })),
        IGLU_OPTIONS,
      )?.mean,
    ).toBeCloseTo(111.8966, 4);
  });
});

describe("Clarity rows of other kinds (own fixture)", () => {
  const csv = [
    "Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams),Duration (hh:mm:ss),Glucose Rate of Change (mg/dL/min)",
    "1,2026-03-29T01:55:00,EGV,,,,G7,Low,,,,",
    "2,2026-03-29T03:05:00,EGV,,,,G7,High,,,,",
    "3,2026-03-29T08:00:00,Carbs,,,,G7,,,30,,",
    "4,2026-03-29T08:01:00,Insulin,Fast-Acting,,,G7,,4.5,,,",
    "5,2026-03-29T22:00:00,Insulin,Long-Acting,,,G7,,20,,,",
    "6,2026-03-29T09:00:00,Exercise,Medium,,,G7,,,,0:45:00,",
  ].join("\n");

  it("maps Low/High, carbs, rapid insulin and exercise, converts across the DST change, and reports long-acting insulin", async () => {
    const { records, skipped } = await importClarityFile(csv, { timeZone: "Europe/Berlin" });
    expect(records.map((r) => [r.type, r.time, r.body])).toEqual([
      ["cgm", Date.parse("2026-03-29T00:55:00Z"), { mgdl: 40, outOfRange: "low", intervalMs: 300_000 }],
      ["cgm", Date.parse("2026-03-29T01:05:00Z"), { mgdl: 400, outOfRange: "high", intervalMs: 300_000 }],
      ["food", Date.parse("2026-03-29T06:00:00Z"), { carbsG: 30 }],
      ["bolus", Date.parse("2026-03-29T06:01:00Z"), { subType: "normal", normal: 4.5 }],
      ["activity", Date.parse("2026-03-29T07:00:00Z"), { intensity: "medium", durationMin: 45 }],
    ]);
    expect(skipped).toEqual([
      { line: 1, reason: "header" },
      { line: 6, reason: "unsupported event type Insulin (Long-Acting)" },
    ]);
  });
});
