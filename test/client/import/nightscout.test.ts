import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importNightscout, importNightscoutFile } from "../../../client/import/nightscout.js";
import { collectImport } from "../../../client/import/types.js";
import { MalformedInput } from "../../../shared/errors.js";

// Own fixtures (written for these tests; not Nightscout's). Items are numbered from 1 in skipped rows.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const entries = fixture("nightscout_entries.json");
const treatments = fixture("nightscout_treatments.json");
const opts = { timeZone: "Europe/Berlin" };

describe("Nightscout entries", () => {
  it("imports sgv as CGM and mbg as finger-stick, with trends, UTC times and the local offset", async () => {
    const { records, rows } = await importNightscoutFile(entries, opts);
    expect(rows).toBe(9);
    expect(
      records.map((r) => ({
        id: r.id,
        type: r.type,
        time: r.time,
        deviceTime: r.deviceTime,
        timezoneOffset: r.timezoneOffset,
        deviceId: r.deviceId,
        body: r.body,
      })),
    ).toEqual([
      {
        id: "nightscout:66a0e1f0c1a2b3c4d5e6f701",
        type: "cgm",
        time: Date.parse("2026-03-29T02:00:00Z"),
        deviceTime: "2026-03-29T04:00:00",
        timezoneOffset: 120,
        deviceId: "xDrip-DexcomG7",
        body: { mgdl: 142, trend: "flat" },
      },
      // `identifier` wins over `_id`; a fractional sgv is rounded; a "Z" dateString takes the offset from the chosen zone.
      {
        id: "nightscout:2f1d8e52-6a0b-4c1e-9d7a-3b5c6e7f8a90",
        type: "cgm",
        time: Date.parse("2026-03-29T02:05:00Z"),
        deviceTime: "2026-03-29T04:05:00",
        timezoneOffset: 120,
        deviceId: "xDrip-DexcomG7",
        body: { mgdl: 151, trend: "fortyFiveUp" },
      },
      // 39 is Dexcom's "LOW".
      {
        id: "nightscout:66a0e1f0c1a2b3c4d5e6f703",
        type: "cgm",
        time: Date.parse("2026-03-29T02:10:00Z"),
        deviceTime: "2026-03-29T04:10:00",
        timezoneOffset: 120,
        deviceId: "xDrip-DexcomG7",
        body: { mgdl: 39, trend: "notComputable", outOfRange: "low" },
      },
      {
        id: "nightscout:66a0e1f0c1a2b3c4d5e6f706",
        type: "bg",
        time: Date.parse("2026-03-29T02:18:20Z"),
        deviceTime: "2026-03-29T04:18:20",
        timezoneOffset: 120,
        deviceId: "Contour Next One",
        body: { mgdl: 160, subType: "manual" },
      },
      // No source id: the id comes from type and date.
      {
        id: "nightscout:sgv:1774750800000",
        type: "cgm",
        time: Date.parse("2026-03-29T02:20:00Z"),
        deviceTime: "2026-03-29T04:20:00",
        timezoneOffset: 120,
        deviceId: "share2",
        body: { mgdl: 175, trend: "doubleUp" },
      },
    ]);
    expect(records.every((r) => r.source === "nightscout")).toBe(true);
  });

  it("reports error codes, calibrations, undated and non-object items by their 1-based array position", async () => {
    const { skipped } = await importNightscoutFile(entries, opts);
    expect(skipped).toEqual([
      { line: 4, reason: "sensor error code 5 (no reading)" },
      { line: 5, reason: "calibration entry (sensor slope/intercept, not a reading)" },
      { line: 8, reason: "no readable date" },
      { line: 9, reason: "not a JSON object" },
    ]);
  });

  it("gives the same ids on re-import, from a stream split mid-document", async () => {
    const first = await importNightscoutFile(entries, opts);
    async function* chunks() {
      for (let i = 0; i < entries.length; i += 97) yield entries.subarray(i, i + 97);
    }
    const again = await collectImport(importNightscout(chunks(), opts));
    expect(again.records).toEqual(first.records);
  });

  it("rejects a file that is not a JSON array", async () => {
    await expect(importNightscoutFile("{", opts)).rejects.toBeInstanceOf(MalformedInput);
    await expect(importNightscoutFile('{"sgv": 100}', opts)).rejects.toBeInstanceOf(MalformedInput);
  });
});

describe("Nightscout treatments", () => {
  it("maps boluses, carbs, finger-sticks, temp basals, site/sensor/reservoir changes, exercise and notes", async () => {
    const { records } = await importNightscoutFile(treatments, opts);
    const byId = new Map(records.map((r) => [r.id, r]));
    const at = (id: string) => {
      const r = byId.get(id);
      return r && [r.type, r.time, r.body];
    };
    const t = (iso: string) => Date.parse(iso);
    // A meal bolus with an mmol/L finger-stick gives three records.
    expect(at("nightscout:t01:bolus")).toEqual([
      "bolus",
      t("2026-03-29T06:30:00Z"),
      { subType: "normal", normal: 5.5 },
    ]);
    expect(at("nightscout:t01:food")).toEqual(["food", t("2026-03-29T06:30:00Z"), { carbsG: 60, name: "porridge" }]);
    expect(at("nightscout:t01:bg")).toEqual(["bg", t("2026-03-29T06:30:00Z"), { mgdl: 130, subType: "manual" }]);
    expect(at("nightscout:t02:bolus")).toEqual([
      "bolus",
      t("2026-03-29T07:45:00Z"),
      { subType: "automated", normal: 0.4 },
    ]);
    expect(at("nightscout:t03:bolus")).toEqual([
      "bolus",
      t("2026-03-29T18:00:00Z"),
      { subType: "dual/square", normal: 3.6, extended: 2.4, durationMs: 7_200_000 },
    ]);
    expect(at("nightscout:t04:food")).toEqual(["food", t("2026-03-29T15:10:00Z"), { carbsG: 15 }]);
    expect(at("nightscout:t05:bg")).toEqual(["bg", t("2026-03-29T12:00:00Z"), { mgdl: 98, subType: "manual" }]);
    // Nightscout's -30 % is 70 % of the scheduled rate.
    expect(at("nightscout:t06:basal")).toEqual([
      "basal",
      t("2026-03-29T13:00:00Z"),
      { deliveryType: "temp", percent: 0.7, durationMs: 3_600_000 },
    ]);
    expect(at("nightscout:t07:basal")).toEqual([
      "basal",
      t("2026-03-29T14:00:00Z"),
      { deliveryType: "temp", rate: 0, durationMs: 1_800_000 },
    ]);
    expect(at("nightscout:t09:device")).toEqual([
      "deviceEvent",
      t("2026-03-29T09:00:00Z"),
      { subType: "prime", reason: "cannula", text: "left abdomen" },
    ]);
    expect(at("nightscout:t10:device")).toEqual([
      "deviceEvent",
      t("2026-03-29T09:05:00Z"),
      { subType: "sensorChange", reason: "sensor start" },
    ]);
    expect(at("nightscout:t11:device")).toEqual([
      "deviceEvent",
      t("2026-03-29T09:10:00Z"),
      { subType: "reservoirChange" },
    ]);
    expect(at("nightscout:t12:activity")).toEqual([
      "activity",
      t("2026-03-29T16:00:00Z"),
      { name: "bike ride", durationMin: 45 },
    ]);
    // An explicit +02:00 offset; then a created_at without offset, read in the chosen zone (CEST).
    expect(at("nightscout:t13:note")).toEqual(["note", t("2026-03-29T18:00:00Z"), { text: "feeling unwell" }]);
    expect(byId.get("nightscout:t13:note")).toMatchObject({ deviceTime: "2026-03-29T20:00:00", timezoneOffset: 120 });
    expect(at("nightscout:t15:note")).toEqual([
      "note",
      t("2026-03-29T08:00:00Z"),
      { text: "Announcement: pump occluded" },
    ]);
    expect(records).toHaveLength(15);
    expect(byId.get("nightscout:t06:basal")?.deviceId).toBe("Loop");
  });

  it("explains the treatments it does not import", async () => {
    const { skipped, rows } = await importNightscoutFile(treatments, opts);
    expect(rows).toBe(16);
    expect(skipped).toEqual([
      { line: 8, reason: "Temp Basal End (the temp basal's own duration is kept; an early end is not represented)" },
      { line: 14, reason: "unsupported event type Temporary Target" },
      { line: 16, reason: "Meal Bolus without insulin or carbs" },
    ]);
  });

  it("re-import yields the same ids", async () => {
    const a = await importNightscoutFile(treatments, opts);
    const b = await importNightscoutFile(new TextDecoder().decode(treatments), opts);
    expect(b.records.map((r) => r.id)).toEqual(a.records.map((r) => r.id));
  });
});

describe("Nightscout items one at a time (the bridge's uploads)", () => {
  it("keeps insulin and carbs sent under an event type of their own (xDrip+'s \"<none>\"), and reads Medtronic's triple arrows as double", async () => {
    const { nightscoutItemRecords } = await import("../../../client/import/nightscout.js");
    const dose = nightscoutItemRecords(
      { eventType: "<none>", created_at: "2026-03-29T02:00:00Z", insulin: 2.5, carbs: 30, enteredBy: "xdrip" },
      "UTC",
    );
    expect(Array.isArray(dose) && dose.map((r) => [r.type, r.body])).toEqual([
      ["bolus", { subType: "normal", normal: 2.5 }],
      ["food", { carbsG: 30 }],
    ]);
    const rising = nightscoutItemRecords({ type: "sgv", sgv: 180, date: 1774750800000, direction: "TripleUp" }, "UTC");
    expect(Array.isArray(rising) && rising[0]?.body).toEqual({ mgdl: 180, trend: "doubleUp" });
    expect(nightscoutItemRecords({ type: "sgv", sgv: "high", date: 1774750800000 }, "UTC")).toEqual({
      reason: "sgv entry without a value",
      invalid: true,
    });
    expect(nightscoutItemRecords({ eventType: "Profile Switch", created_at: "2026-03-29T02:00:00Z" }, "UTC")).toEqual({
      reason: "unsupported event type Profile Switch",
      invalid: false,
    });
  });
});
