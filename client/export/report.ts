// What a "download and send" report holds: the grant's records (not a FHIR Bundle, so the recipient's
// web app shows the same metrics, AGP and daily traces as a grantee's view, insulin and events
// included), the consensus metrics as computed when it was made, the range, and the patient's name
// only when the grant includes identity.
import { z } from "zod";
import { MalformedInput } from "../../shared/errors.js";
import { recordSchema, SCOPES, type RecordOf, type Scope, type StewardRecord } from "../../shared/records.js";
import { consensusMetrics, DEFAULT_OPTIONS, type ConsensusMetrics, type MetricsOptions } from "../metrics/consensus.js";
import { assertWithinRange, type ExportRange } from "./grantRange.js";

export const REPORT_FORMAT = "steward-report/v1";

export interface Report {
  readonly format: typeof REPORT_FORMAT;
  readonly createdAt: number;
  /** From the identity scope's profile; absent when the grant does not include identity. */
  readonly patientName?: string;
  readonly range: ExportRange;
  /** The categories the patient chose to include (a category without records still shows as empty). */
  readonly scopes?: readonly Scope[];
  /** The zone the report's days are read in (AGP, daily traces). */
  readonly timeZone: string;
  /** Consensus metrics of the range's CGM readings; null without readings. */
  readonly metrics: ConsensusMetrics | null;
  readonly records: readonly StewardRecord[];
}

export interface ReportInput {
  /** The records a grantee's view (or the patient's own store) returned for the grant's scopes and range. */
  readonly records: readonly StewardRecord[];
  readonly range: ExportRange;
  readonly scopes?: readonly Scope[];
  readonly timeZone: string;
  readonly metrics?: MetricsOptions;
  readonly now?: number;
}

/** Builds a report of exactly the given records; a record outside `range` raises OutsideGrant. */
export function buildReport(input: ReportInput): Report {
  assertWithinRange(input.records, input.range);
  const patientName = input.records
    .filter((r): r is RecordOf<"profile"> => r.type === "profile")
    .map((r) => r.body.name)
    .find(Boolean);
  const cgm = input.records
    .filter((r): r is RecordOf<"cgm"> => r.type === "cgm")
    .map((r) => ({ time: r.time, mgdl: r.body.mgdl }));
  return {
    format: REPORT_FORMAT,
    createdAt: input.now ?? Date.now(),
    ...(patientName ? { patientName } : {}),
    range: { from: input.range.from, to: input.range.to },
    ...(input.scopes ? { scopes: [...input.scopes] } : {}),
    timeZone: input.timeZone,
    metrics: consensusMetrics(cgm, input.metrics ?? DEFAULT_OPTIONS),
    records: [...input.records],
  };
}

// JSON has no NaN: an SD of a single reading is written as null and read back as NaN.
const metric = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);
const time = z.number().int().min(0);
const metricsSchema = z.object({
  readings: z.number().int().min(1),
  start: time,
  end: time,
  days: metric,
  activePercent: metric,
  mean: metric,
  sd: metric,
  cv: metric,
  gmi: metric,
  percentiles: z.object({ p0: metric, p5: metric, p25: metric, p50: metric, p75: metric, p95: metric, p100: metric }),
  inRange70to180: metric,
  inRange70to140: metric,
  below54: metric,
  below70: metric,
  above180: metric,
  above250: metric,
  gri: z.object({ gri: metric, hypoComponent: metric, hyperComponent: metric }),
});
const reportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  createdAt: time,
  patientName: z.string().max(200).optional(),
  range: z.object({ from: time, to: time }),
  scopes: z.array(z.enum(SCOPES)).max(SCOPES.length).optional(),
  timeZone: z.string().min(1).max(100),
  metrics: metricsSchema.nullable(),
  records: z.array(recordSchema),
});

export function encodeReport(report: Report): string {
  return JSON.stringify(report);
}

/** Parses and validates a report's JSON; anything else raises MalformedInput naming the first bad field. */
export function decodeReport(json: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new MalformedInput("the report is not JSON");
  }
  const result = reportSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MalformedInput(`report: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return result.data as Report;
}
