// Legacy CareLink exports against the events Tidepool's CareLink driver produced from the same files.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importCareLinkFile } from "../../../client/import/carelink.js";
import { LEGACY_IGNORED } from "../../../client/import/carelinkLegacy.js";
import { MGDL_PER_MMOLL, type StewardRecord } from "../../../shared/records.js";
import { sharedFixture } from "../../helpers/sharedFixtures.js";

const uploader = sharedFixture("carelink-legacy-tidepool-uploader");
const mmcsv = sharedFixture("carelink-legacy-mmcsv");

/** Every reason a legacy row may be left out for; anything else is an unexplained row. */
const EXPECTED_REASONS = new Set([
  "export date range",
  "header",
  "previous value of a settings change",
  "temp basal cancelled (zero duration)",
  "settings snapshot identical to the last settings change",
  ...Object.values(LEGACY_IGNORED),
]);

type Tidepool = Record<string, unknown> & { type: string; time: string; deviceTime: string; timezoneOffset: number };

const glucose = (value: unknown, units: unknown) =>
  units === "mmol/L" ? Number(value) * MGDL_PER_MMOLL : Number(value);
const schedule = (entries: unknown) =>
  (entries as { start: number; rate?: number; amount?: number; low?: number; high?: number }[]).map(
    ({ start, ...rest }) => ({ startMs: start, ...rest }),
  );

/** The Steward record Tidepool's event corresponds to, as a partial to compare with. */
function expectedFor(e: Tidepool): { type: StewardRecord["type"]; body: Record<string, unknown> } {
  switch (e.type) {
    case "cbg":
      return { type: "cgm", body: { mgdl: glucose(e.value, e.units) } };
    case "smbg":
      return { type: "bg", body: { mgdl: glucose(e.value, e.units), subType: e.subType } };
    case "basal-scheduled":
      return { type: "basal", body: { deliveryType: "scheduled", rate: e.rate, scheduleName: e.scheduleName } };
    case "basal-temp":
      return {
        type: "basal",
        body: {
          deliveryType: "temp",
          durationMs: e.duration,
          ...(e.percent !== undefined ? { percent: e.percent } : { rate: e.rate }),
        },
      };
    case "bolus":
      return {
        type: "bolus",
        body: { subType: e.subType, normal: e.normal, extended: e.extended, durationMs: e.duration },
      };
    case "wizard":
      return {
        type: "wizard",
        body: {
          bgInput: e.bgInput,
          bgTarget: e.bgTarget,
          carbInput: e.carbInput,
          insulinCarbRatio: e.insulinCarbRatio,
          insulinOnBoard: e.insulinOnBoard,
          insulinSensitivity: e.insulinSensitivity,
          recommended: e.recommended,
        },
      };
    case "suspend":
    case "resume":
      return {
        type: "deviceEvent",
        body: {
          subType: "status",
          status: e.type === "suspend" ? "suspended" : "resumed",
          reason: (e.reason as Record<string, string>)[e.type === "suspend" ? "suspended" : "resumed"],
        },
      };
    case "pumpSettings":
      return {
        type: "pumpSettings",
        body: {
          activeSchedule: e.activeSchedule,
          basalSchedules: Object.fromEntries(
            Object.entries(e.basalSchedules as Record<string, unknown>).map(([k, v]) => [k, schedule(v)]),
          ),
          bgTargets: schedule(e.bgTarget),
          carbRatios: schedule(e.carbRatio),
          insulinSensitivities: schedule(e.insulinSensitivity),
        },
      };
    default:
      throw new Error(`unmapped Tidepool type ${e.type}`);
  }
}

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

describe.skipIf(!uploader.exists)("legacy CareLink vs Tidepool uploader outputs (Pacific/Honolulu)", () => {
  const names = uploader.exists
    ? readdirSync(uploader.path)
        .filter((f) => f.endsWith(".output.json"))
        .map((f) => f.replace(".output.json", ""))
    : [];

  it.each(names)("%s: same events, times and values", async (name) => {
    const input = readFileSync(`${uploader.path}/${name}.input.csv`);
    const tidepool = JSON.parse(readFileSync(`${uploader.path}/${name}.output.json`, "utf8")) as Tidepool[];
    const result = await importCareLinkFile(input, { timeZone: "Pacific/Honolulu" });
    for (const s of result.skipped) expect(EXPECTED_REASONS, `line ${s.line}: ${s.reason}`).toContain(s.reason);

    // Tidepool's fixtures list only the event types each test is about (settings_withChanges also holds a CGM row).
    const types = new Set(tidepool.map((e) => expectedFor(e).type));
    const ours = result.records.filter((r) => types.has(r.type));
    expect(ours.map((r) => `${r.time} ${r.type}`).sort()).toEqual(
      tidepool.map((e) => `${Date.parse(e.time)} ${expectedFor(e).type}`).sort(),
    );
    for (const e of tidepool) {
      const want = expectedFor(e);
      const match = ours.find((r) => r.time === Date.parse(e.time) && r.type === want.type);
      expect(match, `${e.type} at ${e.time}`).toBeDefined();
      if (!match) continue;
      expect(match.deviceTime).toBe(e.deviceTime);
      expect(match.timezoneOffset).toBe(e.timezoneOffset);
      const body = defined(want.body);
      // Tidepool's first settings event shows the schedule active before the change it records; Steward shows it after.
      if (name === "settings_withChanges" && e.deviceTime === "2014-03-13T11:51:05") delete body.activeSchedule;
      for (const [key, value] of Object.entries(body)) {
        if (typeof value === "number") expect((match.body as Record<string, unknown>)[key], key).toBeCloseTo(value, 4);
        else {
          const actual = (match.body as Record<string, unknown>)[key];
          expect(
            value !== null && typeof value === "object" && !Array.isArray(value)
              ? defined(actual as Record<string, unknown>)
              : actual,
            key,
          ).toEqual(value);
        }
      }
      if (e.type === "wizard" && e.bolus) {
        const bolus = ours.find((r) => r.type === "bolus" && match.type === "wizard" && r.id === match.body.bolusId);
        expect(bolus, "wizard links its bolus").toBeDefined();
      }
    }
  });

  it("gives the same ids when the same file is imported twice", async () => {
    const input = readFileSync(`${uploader.path}/bolus_dual_withWizard.input.csv`);
    const a = await importCareLinkFile(input, { timeZone: "Pacific/Honolulu" });
    const b = await importCareLinkFile(input, { timeZone: "Pacific/Honolulu" });
    expect(a.records.map((r) => r.id)).toEqual(b.records.map((r) => r.id));
    expect(new Set(a.records.map((r) => r.id)).size).toBe(a.records.length);
  });
});

describe.skipIf(!mmcsv.exists)("legacy CareLink vs Tidepool mmcsv-carelink-data outputs", () => {
  it.each(["withSettingsChanges", "withoutSettingsChanges"])(
    "%s: same readings, boluses and schedules",
    async (name) => {
      const result = await importCareLinkFile(readFileSync(`${mmcsv.path}/${name}.input.csv`), { timeZone: "UTC" });
      for (const s of result.skipped) expect(EXPECTED_REASONS, `line ${s.line}: ${s.reason}`).toContain(s.reason);
      const old = JSON.parse(readFileSync(`${mmcsv.path}/${name}.output.json`, "utf8")) as Record<string, unknown>[];
      const at = (type: string, deviceTime: unknown) =>
        result.records.filter((r) => r.type === type && r.deviceTime === deviceTime);
      for (const e of old) {
        if (e.type === "cbg") expect(at("cgm", e.deviceTime)[0]?.body).toMatchObject({ mgdl: e.value });
        else if (e.type === "smbg") expect(at("bg", e.deviceTime)[0]?.body).toMatchObject({ mgdl: e.value });
        else if (e.type === "basal-rate-change" && e.deliveryType === "scheduled")
          expect(at("basal", e.deviceTime)[0]?.body).toMatchObject({
            deliveryType: "scheduled",
            rate: e.value,
            scheduleName: e.scheduleName,
          });
        else if (e.type === "basal-rate-change" && e.duration !== 0)
          expect(at("basal", e.deviceTime)[0]?.body).toMatchObject({
            deliveryType: "temp",
            percent: Number(e.percent) / 100,
            durationMs: e.duration,
          });
        else if (e.type === "wizard")
          expect(at("wizard", e.deviceTime)[0]?.body).toMatchObject({
            bgInput: (e.payload as { bgInput: number }).bgInput,
            carbInput: (e.payload as { carbInput: number }).carbInput,
          });
        else if (e.type === "bolus" && e.subType === "dual/square") {
          // The old parser kept the halves apart; Steward joins them into one dual bolus at the normal half's time.
          const dual = result.records.find((r) => r.type === "bolus" && r.body.subType === "dual/square");
          expect(dual?.body).toMatchObject({
            extended: e.value,
            expectedExtended: e.programmed,
            durationMs: e.duration,
          });
        } else if (e.type === "bolus" && e.subType === "dual/normal")
          expect(at("bolus", e.deviceTime)[0]?.body).toMatchObject({ subType: "dual/square", normal: e.value });
        else if (e.type === "bolus")
          expect(at("bolus", e.deviceTime)[0]?.body).toMatchObject({ subType: "normal", normal: e.value });
      }
      // The last settings state equals the pump's snapshot in both files.
      const settings = result.records.filter((r) => r.type === "pumpSettings").at(-1);
      const last = old
        .filter((e) => e.type === "settings")
        .sort((a, b) => String(b.deviceTime).localeCompare(String(a.deviceTime)))[0] as Record<string, unknown>;
      expect(settings?.type === "pumpSettings" && settings.body.basalSchedules["pattern a"]).toEqual(
        schedule((last.basalSchedules as Record<string, unknown>)["pattern a"]),
      );
      expect(settings?.type === "pumpSettings" && settings.body.carbRatios).toEqual(schedule(last.carbRatio));
    },
  );
});
