// A grant's CGM data as a FHIR R4 Bundle following the HL7 CGM IG 1.0.0: the CGM summary panel and
// its six member observations, optionally every sensor reading, the sensor devices, and a Patient
// that carries a name only when the grant includes the identity scope. The input is what a grantee's
// view returned for the grant; anything outside the grant's range is refused rather than exported.
// Mapping table: docs/fhir.md.
import type { RecordOf, StewardRecord } from "../../shared/records.js";
import { wallClockMs } from "../import/timezone.js";
import { consensusMetrics, DEFAULT_OPTIONS, type ConsensusMetrics, type MetricsOptions } from "../metrics/consensus.js";
import { assertWithinRange, type ExportRange } from "./grantRange.js";
import { CGM_CODES, CGM_PROFILES, LOINC, OBSERVATION_CATEGORY, UCUM, UNITS } from "./fhirCodes.js";

export type FhirResource = { resourceType: string; id: string } & Record<string, unknown>;

export interface FhirBundle {
  resourceType: "Bundle";
  id: string;
  type: "collection" | "transaction";
  timestamp: string;
  entry: { fullUrl: string; resource: FhirResource; request?: { method: "POST"; url: string } }[];
}

export interface FhirExportInput {
  /** The records a grantee's view returned for the grant's scopes and range. */
  readonly records: readonly StewardRecord[];
  /** The grant's range, ms UTC, inclusive: the summary's reporting period. */
  readonly range: ExportRange;
}

export interface FhirExportOptions {
  /**
   * The patient's IANA zone: the reporting period's dates (the IG wants YYYY-MM-DD) are the patient's
   * local dates, read from the first and last reading's stored offset, else from this zone.
   */
  readonly timeZone: string;
  /** Also export every CGM reading as a sensor-reading Observation (default false: summary only). */
  readonly readings?: boolean;
  /** "collection" (default) to hand over; "transaction" for the IG's `$submit-cgm-bundle`. */
  readonly bundleType?: FhirBundle["type"];
  readonly metrics?: MetricsOptions;
  /** Bundle timestamp; defaults to now. */
  readonly now?: number;
}

type Kind = keyof typeof CGM_CODES;
/** Codes that name a whole Observation (the range bands are components of one). */
type ObservationKind = keyof typeof CGM_PROFILES & Kind;
type Reference = { reference: string };

const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
const FHIR_DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;

/** The Bundle for one grant's range. Throws OutsideGrant if a record lies outside `range`. */
export function toFhirBundle(input: FhirExportInput, options: FhirExportOptions): FhirBundle {
  const { from, to } = input.range;
  assertWithinRange(input.records, input.range);
  const entries: FhirResource[] = [];
  const patient = patientResource(input.records.filter((r): r is RecordOf<"profile"> => r.type === "profile"));
  entries.push(patient);
  const subject = ref(patient);
  const cgm = input.records.filter((r): r is RecordOf<"cgm"> => r.type === "cgm").sort((a, b) => a.time - b.time);

  const devices = new Map<string, FhirResource>();
  for (const r of cgm) if (r.deviceId && !devices.has(r.deviceId)) devices.set(r.deviceId, deviceResource(r.deviceId));
  entries.push(...devices.values());

  const metrics = consensusMetrics(
    cgm.map((r) => ({ time: r.time, mgdl: r.body.mgdl })),
    options.metrics ?? DEFAULT_OPTIONS,
  );
  if (metrics) {
    const period = {
      start: localDate(from, cgm[0]?.timezoneOffset, options.timeZone),
      end: localDate(to, cgm.at(-1)?.timezoneOffset, options.timeZone),
    };
    const members = summaryMembers(metrics).map(({ kind, content }) => ({
      ...observation(kind, subject),
      effectivePeriod: period,
      ...content,
    }));
    entries.push(
      { ...observation("summary", subject), effectivePeriod: period, hasMember: members.map(ref) },
      ...members,
    );
  }
  if (options.readings) {
    for (const r of cgm) {
      const device = r.deviceId ? devices.get(r.deviceId) : undefined;
      entries.push({
        ...observation("sensorReading", subject),
        effectiveDateTime: new Date(r.time).toISOString(),
        valueQuantity: readingQuantity(r),
        ...(device ? { device: ref(device) } : {}),
      });
    }
  }
  const type = options.bundleType ?? "collection";
  return {
    resourceType: "Bundle",
    id: crypto.randomUUID(),
    type,
    timestamp: new Date(options.now ?? Date.now()).toISOString(),
    entry: entries.map((resource) => ({
      fullUrl: `urn:uuid:${resource.id}`,
      resource,
      ...(type === "transaction" ? { request: { method: "POST" as const, url: resource.resourceType } } : {}),
    })),
  };
}

/** The six members of the summary panel; ranges are exclusive bands that add up to 100 %, as in the IG. */
function summaryMembers(m: ConsensusMetrics): { kind: ObservationKind; content: Record<string, unknown> }[] {
  const percent = (value: number) => quantity(round(value, 2), UNITS.percent);
  const band = (kind: Kind, value: number) => ({ code: codeOf(kind), valueQuantity: percent(value) });
  return [
    { kind: "meanGlucose", content: { valueQuantity: quantity(round(m.mean, 1), UNITS.mgdl) } },
    {
      kind: "timesInRanges",
      content: {
        component: [
          band("timeInVeryLow", m.below54),
          band("timeInLow", m.below70 - m.below54),
          band("timeInTarget", m.inRange70to180),
          band("timeInHigh", m.above180 - m.above250),
          band("timeInVeryHigh", m.above250),
        ],
      },
    },
    { kind: "gmi", content: { valueQuantity: percent(m.gmi) } },
    { kind: "cv", content: { valueQuantity: percent(m.cv) } },
    { kind: "daysOfWear", content: { valueQuantity: quantity(round(m.days, 1), UNITS.days) } },
    { kind: "sensorActive", content: { valueQuantity: percent(m.activePercent) } },
  ];
}

function observation(kind: ObservationKind, subject: Reference): FhirResource {
  return {
    resourceType: "Observation",
    id: crypto.randomUUID(),
    meta: { profile: [CGM_PROFILES[kind]] },
    status: "final",
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: "laboratory" }] }],
    code: codeOf(kind),
    subject,
  };
}

function codeOf(kind: Kind): { coding: { system: string; code: string; display?: string }[] } {
  return { coding: [{ system: LOINC, ...CGM_CODES[kind] }] };
}

function quantity(value: number, unit: { code: string; unit: string }, comparator?: "<" | ">") {
  return { value, ...(comparator ? { comparator } : {}), unit: unit.unit, system: UCUM, code: unit.code };
}

/** A "Low"/"High" reading holds the device limit; FHIR says so with a comparator instead of a false value. */
function readingQuantity(r: RecordOf<"cgm">) {
  const comparator = r.body.outOfRange === "low" ? "<" : r.body.outOfRange === "high" ? ">" : undefined;
  return quantity(r.body.mgdl, UNITS.mgdl, comparator);
}

/** Without the identity scope the Patient is an empty anchor for `subject`: no name, no identifiers. */
function patientResource(profiles: readonly RecordOf<"profile">[]): FhirResource {
  const name = profiles.map((p) => p.body.name).find(Boolean);
  const birthDate = profiles.map((p) => p.body.birthDate).find((d) => d !== undefined && FHIR_DATE.test(d));
  return {
    resourceType: "Patient",
    id: crypto.randomUUID(),
    ...(name ? { name: [{ text: name }] } : {}),
    ...(birthDate ? { birthDate } : {}),
  };
}

function deviceResource(deviceId: string): FhirResource {
  return {
    resourceType: "Device",
    id: crypto.randomUUID(),
    meta: { profile: [CGM_PROFILES.device] },
    identifier: [{ value: deviceId }],
    deviceName: [{ name: deviceId, type: "user-friendly-name" }],
  };
}

function ref(resource: FhirResource): Reference {
  return { reference: `urn:uuid:${resource.id}` };
}

function localDate(utcMs: number, offsetMinutes: number | undefined, timeZone: string): string {
  return new Date(offsetMinutes === undefined ? wallClockMs(utcMs, timeZone) : utcMs + offsetMinutes * 60_000)
    .toISOString()
    .slice(0, 10);
}
