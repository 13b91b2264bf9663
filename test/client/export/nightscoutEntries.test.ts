import { describe, expect, it } from "vitest";
import { toNightscoutEntries } from "../../../client/export/nightscoutEntries.js";
import { importNightscoutFile } from "../../../client/import/nightscout.js";
import { parseRecord, type StewardRecord } from "../../../shared/records.js";

const records: StewardRecord[] = [
  parseRecord({
    id: "clarity:G7:egv:2026-03-29T04:00:00",
    type: "cgm",
    time: Date.parse("2026-03-29T02:00:00Z"),
    deviceTime: "2026-03-29T04:00:00",
    timezoneOffset: 120,
    deviceId: "Dexcom-G7",
    source: "clarity",
    body: { mgdl: 142, trend: "flat", intervalMs: 300_000 },
  }),
  parseRecord({
    id: "cgm-2",
    type: "cgm",
    time: Date.parse("2026-03-29T02:05:00Z"),
    timezoneOffset: -300,
    deviceId: "Dexcom-G7",
    body: { mgdl: 188, trend: "rateOutOfRange" },
  }),
  parseRecord({ id: "cgm-3", type: "cgm", time: Date.parse("2026-03-29T02:10:00Z"), body: { mgdl: 90 } }),
  parseRecord({
    id: "bg-1",
    type: "bg",
    time: Date.parse("2026-03-29T02:12:00Z"),
    timezoneOffset: 120,
    deviceId: "Contour",
    body: { mgdl: 101, subType: "linked" },
  }),
  parseRecord({
    id: "bolus-1",
    type: "bolus",
    time: Date.parse("2026-03-29T02:12:00Z"),
    body: { subType: "normal", normal: 2 },
  }),
];

describe("Nightscout entries export", () => {
  it("writes sgv/mbg entries, newest first, with Nightscout directions and local-offset date strings", () => {
    expect(toNightscoutEntries(records)).toEqual([
      {
        type: "mbg",
        date: Date.parse("2026-03-29T02:12:00Z"),
        dateString: "2026-03-29T04:12:00.000+02:00",
        mbg: 101,
        device: "Contour",
        identifier: "bg-1",
      },
      {
        type: "sgv",
        date: Date.parse("2026-03-29T02:10:00Z"),
        dateString: "2026-03-29T02:10:00.000Z",
        sgv: 90,
        direction: "NONE",
        device: "steward",
        identifier: "cgm-3",
      },
      {
        type: "sgv",
        date: Date.parse("2026-03-29T02:05:00Z"),
        dateString: "2026-03-28T21:05:00.000-05:00",
        sgv: 188,
        direction: "RATE OUT OF RANGE",
        device: "Dexcom-G7",
        identifier: "cgm-2",
      },
      {
        type: "sgv",
        date: Date.parse("2026-03-29T02:00:00Z"),
        dateString: "2026-03-29T04:00:00.000+02:00",
        sgv: 142,
        direction: "Flat",
        device: "Dexcom-G7",
        identifier: "clarity:G7:egv:2026-03-29T04:00:00",
      },
    ]);
  });

  it("round-trips: importing the export gives the same readings, times, trends, devices and offsets", async () => {
    const json = JSON.stringify(toNightscoutEntries(records));
    const { records: back, skipped } = await importNightscoutFile(json, { timeZone: "Europe/Berlin" });
    expect(skipped).toEqual([]);
    const reading = (r: StewardRecord) => ({
      type: r.type,
      time: r.time,
      mgdl: r.type === "cgm" || r.type === "bg" ? r.body.mgdl : undefined,
      trend: r.type === "cgm" ? r.body.trend : undefined,
      deviceId: r.deviceId ?? "steward",
    });
    const glucose = records.filter((r) => r.type === "cgm" || r.type === "bg");
    expect(back.map(reading).sort((a, b) => a.time - b.time)).toEqual(glucose.map(reading));
    // Offsets survive through the dateString; the record without one gets the import zone's.
    expect(back.map((r) => [r.time, r.timezoneOffset]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))).toEqual([
      [Date.parse("2026-03-29T02:00:00Z"), 120],
      [Date.parse("2026-03-29T02:05:00Z"), -300],
      [Date.parse("2026-03-29T02:10:00Z"), 120],
      [Date.parse("2026-03-29T02:12:00Z"), 120],
    ]);
    // Re-importing the same export keeps ids stable.
    const again = await importNightscoutFile(json, { timeZone: "Europe/Berlin" });
    expect(again.records.map((r) => r.id)).toEqual(back.map((r) => r.id));
    expect(back.find((r) => r.time === Date.parse("2026-03-29T02:00:00Z"))?.id).toBe(
      "nightscout:clarity:G7:egv:2026-03-29T04:00:00",
    );
  });
});
