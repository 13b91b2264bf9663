// Current CareLink exports: the synthetic 780G files (EU and US locale) and our own clock-change file.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importCareLink, importCareLinkFile } from "../../../client/import/carelink.js";
import type { ImportEvent } from "../../../client/import/types.js";
import type { RecordOf, StewardRecord } from "../../../shared/records.js";
import { sharedFixture } from "../../helpers/sharedFixtures.js";

const synthetic = sharedFixture("carelink-780g-synthetic");
const ALLOWED = new Set([
  "section line",
  "header",
  "preamble note",
  "acknowledgement of an alert (the alert row is imported)",
]);
const of = <T extends StewardRecord["type"]>(records: StewardRecord[], type: T) =>
  records.filter((r): r is RecordOf<T> => r.type === type);

describe.skipIf(!synthetic.exists)("synthetic MiniMed 780G exports", () => {
  const files = ["carelink_780g_synthetic_EU.csv", "carelink_780g_synthetic_US.csv"];

  it.each(files)("%s: imports every row the README describes, in Europe/Berlin", async (file) => {
    const { records, skipped } = await importCareLinkFile(readFileSync(`${synthetic.path}/${file}`), {
      timeZone: "Europe/Berlin",
    });
    for (const s of skipped) expect(ALLOWED, `line ${s.line}: ${s.reason}`).toContain(s.reason);
    expect(skipped.filter((s) => s.reason.startsWith("acknowledgement"))).toHaveLength(3);

    const [profile] = of(records, "profile");
    expect(profile?.body).toMatchObject({
      name: "Example Synthetic",
      identifiers: { "Pump serial": "NG0000000X", Pump: "MiniMed 780G MMT-1886" },
    });
    // Personal identifiers stay in the profile: no other record mentions the name.
    expect(records.filter((r) => r.type !== "profile" && JSON.stringify(r).includes("Synthetic"))).toEqual([]);

    const cgm = of(records, "cgm");
    expect(cgm).toHaveLength(37);
    expect(cgm[0]?.time).toBe(Date.parse("2026-07-04T10:00:00Z"));
    expect(cgm[0]?.timezoneOffset).toBe(120);
    expect(cgm.at(-1)?.deviceTime).toBe("2026-07-04T15:00:00");

    expect(of(records, "basal")).toHaveLength(8);
    const boluses = of(records, "bolus");
    expect(boluses.map((b) => b.body)).toEqual([
      expect.objectContaining({ subType: "normal", normal: 2.4, bolusNumber: "154" }),
      expect.objectContaining({ subType: "automated", normal: 0.6, bolusNumber: "160" }),
    ]);
    // Dated by the rows that carry the delivered units, not by the programming rows (12:24:37, 15:40:00).
    expect(boluses[0]?.deviceTime).toBe("2026-07-04T12:32:56");
    expect(boluses[0]?.time).toBe(Date.parse("2026-07-04T10:32:56Z"));
    expect(boluses[1]?.deviceTime).toBe("2026-07-04T15:41:10");
    const [wizard] = of(records, "wizard");
    expect(wizard?.body).toMatchObject({
      carbInput: 15,
      insulinCarbRatio: 6.6,
      recommended: { net: 2.4 },
      bolusId: boluses[0]?.id,
    });
    expect(boluses[0]?.body.wizardId).toBe(wizard?.id);

    expect(of(records, "insulinTotal").map((r) => r.body)).toEqual([
      { day: "2026-07-04", kind: "autoBasal", units: 20.494 },
    ]);
    expect(of(records, "bg").map((r) => r.body.mgdl)).toEqual([112]);
    const events = of(records, "deviceEvent").map((r) => r.body.subType);
    expect(events.filter((s) => s === "alert")).toHaveLength(3);
    expect(events.filter((s) => s === "prime")).toHaveLength(2);
    expect(events.filter((s) => s === "reservoirChange")).toHaveLength(1);
    expect(
      of(records, "deviceEvent")
        .filter((r) => r.body.subType === "status")
        .map((r) => r.body.status),
    ).toEqual(["suspended", "resumed"]);
  });

  it("reads the EU (semicolon, decimal comma) and US exports into identical records", async () => {
    const [eu, us] = await Promise.all(
      files.map((f) => importCareLinkFile(readFileSync(`${synthetic.path}/${f}`), { timeZone: "Europe/Berlin" })),
    );
    expect(eu?.records).toEqual(us?.records);
  });

  it("streams progress with rows and bytes, and re-imports to the same ids", async () => {
    const bytes = readFileSync(`${synthetic.path}/${files[0]}`);
    // Feed the file in 100-byte chunks, as a browser stream would.
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 100) yield bytes.subarray(i, i + 100);
    }
    const events: ImportEvent[] = [];
    for await (const e of importCareLink(chunks(), { timeZone: "Europe/Berlin", totalBytes: bytes.length }))
      events.push(e);
    const last = events.filter((e) => e.kind === "progress").at(-1);
    expect(last).toMatchObject({ rowsDone: 76, bytesDone: bytes.length, totalBytes: bytes.length });
    const again = await importCareLinkFile(bytes, { timeZone: "Europe/Berlin" });
    expect(events.flatMap((e) => (e.kind === "record" ? [e.record.id] : []))).toEqual(again.records.map((r) => r.id));
  });
});

describe("clock change and name-mapped columns (own fixture)", () => {
  const file = readFileSync(new URL("./fixtures/carelink_clock_change.csv", import.meta.url));

  it("places rows before a 'New Device Time' change by the old clock", async () => {
    const { records, skipped } = await importCareLinkFile(file, { timeZone: "Europe/Berlin" });
    expect(skipped.map((s) => s.reason)).toEqual(["section line", "header", "section line", "header"]);
    const at = (deviceTime: string, type: string) =>
      records.find((r) => r.deviceTime === deviceTime && r.type === type);
    // After the change the clock reads Berlin time (UTC+1 in March).
    expect(at("2026-03-10T10:00:00", "basal")?.time).toBe(Date.parse("2026-03-10T09:00:00Z"));
    expect(at("2026-03-10T10:30:00", "cgm")?.time).toBe(Date.parse("2026-03-10T09:30:00Z"));
    // The clock was moved from 08:00 to 09:00: earlier readings are one hour "slower", in a zone at UTC+0.
    expect(at("2026-03-10T08:00:00", "deviceEvent")?.body).toMatchObject({
      subType: "timeChange",
      from: "2026-03-10T08:00:00",
      to: "2026-03-10T09:00:00",
    });
    expect(at("2026-03-10T07:00:00", "basal")?.time).toBe(Date.parse("2026-03-10T07:00:00Z"));
    expect(at("2026-03-10T07:00:00", "basal")?.timezoneOffset).toBe(0);
    expect(at("2026-03-10T07:30:00", "cgm")?.time).toBe(Date.parse("2026-03-10T07:30:00Z"));
    expect(at("2026-03-10T10:00:00", "basal")?.timezoneOffset).toBe(60);
    expect(at("2026-03-10T07:00:00", "food")?.body).toEqual({ carbsG: 45 });
    expect(at("2026-03-10T06:00:00", "note")?.body).toEqual({ text: "Sick day" });
  });

  it("merges the rows of one Bolus Number into a dual bolus with programmed and delivered amounts", async () => {
    const { records } = await importCareLinkFile(file, { timeZone: "Europe/Berlin" });
    const boluses = of(records, "bolus");
    expect(boluses).toHaveLength(1);
    expect(boluses[0]?.deviceTime).toBe("2026-03-10T09:10:00");
    expect(boluses[0]?.body).toEqual({
      subType: "dual/square",
      bolusNumber: "77",
      normal: 2,
      extended: 1,
      expectedExtended: 1.5,
      durationMs: 3_600_000,
    });
  });

  it("dates a bolus by its delivery row, not by the row that programmed it", async () => {
    const csv = [
      "-------,MiniMed 780G MMT-1886,Pump,NG0000000X,-------",
      "Index,Date,Time,Bolus Type,Bolus Volume Selected (U),Bolus Volume Delivered (U),Bolus Number,BWZ Estimate (U),BWZ Carb Input (grams),BWZ Status,Bolus Source",
      "0.00000,2026/07/04,12:32:56,Normal,2.4,2.4,154,,,,CLOSED_LOOP_BG_CORRECTION_AND_FOOD_BOLUS",
      "1.00000,2026/07/04,12:24:37,,,,154,2.4,15,Delivered,",
      "2.00000,2026/07/04,12:24:37,Normal,2.4,,154,,,,CLOSED_LOOP_BG_CORRECTION_AND_FOOD_BOLUS",
    ].join("\n");
    const { records } = await importCareLinkFile(csv, { timeZone: "UTC" });
    const [bolus] = of(records, "bolus");
    const [wizard] = of(records, "wizard");
    expect(bolus?.deviceTime).toBe("2026-07-04T12:32:56");
    expect(bolus?.time).toBe(Date.parse("2026-07-04T12:32:56Z"));
    expect(bolus?.body).toMatchObject({ normal: 2.4, bolusNumber: "154", wizardId: wizard?.id });
    // The bolus calculator stays at the moment it was used.
    expect(wizard?.deviceTime).toBe("2026-07-04T12:24:37");
  });

  it("yields ids that do not depend on the chosen time zone", async () => {
    const a = await importCareLinkFile(file, { timeZone: "Europe/Berlin" });
    const b = await importCareLinkFile(file, { timeZone: "America/New_York" });
    expect(a.records.map((r) => r.id).sort()).toEqual(b.records.map((r) => r.id).sort());
    expect(a.records.map((r) => r.time)).not.toEqual(b.records.map((r) => r.time));
  });
});
