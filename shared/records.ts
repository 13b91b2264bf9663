// The record model every side agrees on: six data categories (scopes), the record types in each,
// and their typed bodies. Follows Tidepool's model (glucose as integer mg/dL as devices give it,
// UTC time plus the device's own display time and offset, device ids for de-duplication).
import { z } from "zod";
import { MalformedInput } from "./errors.js";

export const SCOPES = ["glucose", "insulin", "settings", "events", "alerts", "identity"] as const;
export type Scope = (typeof SCOPES)[number];

/** Plain-language labels for people choosing what to share. */
export const SCOPE_LABELS: Record<Scope, string> = {
  glucose: "Glucose readings (CGM and finger-stick)",
  insulin: "Insulin (basal, boluses, bolus calculator)",
  settings: "Pump settings",
  events: "Meals, exercise and notes",
  alerts: "Device alerts and alarms",
  identity: "Name and identifiers",
};

const finite = z.number().finite();
const nonNegative = finite.nonnegative();
/** Glucose in mg/dL, integer as devices report it; Tidepool's accepted range. */
const mgdl = z.number().int().min(0).max(1000);
const dayOfMs = z.number().int().min(0).max(86_400_000);

export const TRENDS = [
  "doubleUp",
  "singleUp",
  "fortyFiveUp",
  "flat",
  "fortyFiveDown",
  "singleDown",
  "doubleDown",
  "notComputable",
  "rateOutOfRange",
] as const;

const cgmBody = z.object({
  mgdl,
  trend: z.enum(TRENDS).optional(),
  /** Sampling interval in ms (60 000, 300 000 or 900 000 for common sensors). */
  intervalMs: z.number().int().min(0).max(86_400_000).optional(),
  backfilled: z.boolean().optional(),
  /** Set when the device reported "Low"/"High" past its limit; `mgdl` then holds the limit. */
  outOfRange: z.enum(["low", "high"]).optional(),
});
const bgBody = z.object({
  mgdl,
  subType: z.enum(["manual", "linked", "scanned"]),
  outOfRange: z.enum(["low", "high"]).optional(),
});
const basalBody = z.object({
  deliveryType: z.enum(["scheduled", "temp", "suspend", "automated"]),
  /** U/h; absent for a suspend. */
  rate: z.number().min(0).max(100).optional(),
  /** Temp basal as a fraction of the scheduled rate (0.75 = 75 %). */
  percent: z.number().min(0).max(10).optional(),
  durationMs: z.number().int().min(0).max(604_800_000).optional(),
  expectedDurationMs: z.number().int().min(0).max(604_800_000).optional(),
  scheduleName: z.string().max(100).optional(),
  suppressed: z
    .object({ rate: z.number().min(0).max(100).optional(), scheduleName: z.string().max(100).optional() })
    .optional(),
});
const units = z.number().min(0).max(100);
const bolusBody = z.object({
  subType: z.enum(["normal", "square", "dual/square", "automated"]),
  normal: units.optional(),
  expectedNormal: units.optional(),
  extended: units.optional(),
  expectedExtended: units.optional(),
  durationMs: z.number().int().min(0).max(86_400_000).optional(),
  expectedDurationMs: z.number().int().min(0).max(86_400_000).optional(),
  /** Id of the bolus-calculator record that led to this bolus. */
  wizardId: z.string().max(200).optional(),
  /** The pump's own bolus number, used to merge CareLink rows. */
  bolusNumber: z.string().max(100).optional(),
});
const wizardBody = z.object({
  bgInput: mgdl.optional(),
  carbInput: z.number().min(0).max(1000).optional(),
  insulinCarbRatio: z.number().min(0).max(250).optional(),
  /** mg/dL per U. */
  insulinSensitivity: z.number().min(0).max(1000).optional(),
  insulinOnBoard: z.number().min(0).max(250).optional(),
  bgTarget: z.object({ low: mgdl.optional(), high: mgdl.optional(), target: mgdl.optional() }).optional(),
  recommended: z
    .object({
      carb: z.number().min(-100).max(100).optional(),
      correction: z.number().min(-100).max(100).optional(),
      net: z.number().min(-100).max(100).optional(),
    })
    .optional(),
  bolusId: z.string().max(200).optional(),
});
/** A device's daily insulin totals (e.g. the 780G's "auto insulin" per day). */
const insulinTotalBody = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  kind: z.enum(["autoBasal", "basal", "bolus", "total"]),
  units: z.number().min(0).max(1000),
});
const schedule = <T extends z.ZodTypeAny>(entry: T) => z.array(entry).max(48);
const pumpSettingsBody = z.object({
  activeSchedule: z.string().max(100).optional(),
  basalSchedules: z.record(
    z.string().max(100),
    schedule(z.object({ startMs: dayOfMs, rate: z.number().min(0).max(100) })),
  ),
  bgTargets: schedule(
    z.object({ startMs: dayOfMs, low: mgdl.optional(), high: mgdl.optional(), target: mgdl.optional() }),
  ).optional(),
  carbRatios: schedule(z.object({ startMs: dayOfMs, amount: z.number().min(0).max(250) })).optional(),
  /** mg/dL per U. */
  insulinSensitivities: schedule(z.object({ startMs: dayOfMs, amount: z.number().min(0).max(1000) })).optional(),
  insulinActionHours: z.number().min(0).max(10).optional(),
  model: z.string().max(100).optional(),
  serialNumber: z.string().max(100).optional(),
});
const foodBody = z.object({
  carbsG: z.number().min(0).max(1000).optional(),
  name: z.string().max(500).optional(),
  meal: z.enum(["breakfast", "lunch", "dinner", "snack", "other"]).optional(),
});
const activityBody = z.object({
  activityType: z.string().max(100).optional(),
  name: z.string().max(500).optional(),
  durationMin: z.number().min(0).max(10_080).optional(),
  intensity: z.enum(["low", "medium", "high"]).optional(),
});
const noteBody = z.object({ text: z.string().max(20_000) });
const deviceEventBody = z.object({
  subType: z.enum([
    "alarm",
    "alert",
    "status",
    "prime",
    "reservoirChange",
    "timeChange",
    "calibration",
    "sensorChange",
    "other",
  ]),
  /** Tidepool alarm types, or the device's own code when it has no Tidepool equivalent. */
  alarmType: z.string().max(100).optional(),
  status: z.enum(["suspended", "resumed"]).optional(),
  reason: z.string().max(200).optional(),
  durationMs: z.number().int().min(0).max(604_800_000).optional(),
  /** For a clock change: the device's display time before and after. */
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  volume: nonNegative.max(1000).optional(),
  /** For a calibration: the reference blood glucose. */
  mgdl: mgdl.optional(),
  text: z.string().max(2000).optional(),
});
const profileBody = z.object({
  name: z.string().max(200).optional(),
  birthDate: z.string().max(20).optional(),
  /** Identifiers such as an MRN or a device serial, kept only in the identity scope. */
  identifiers: z.record(z.string().max(100), z.string().max(200)).optional(),
});

const bodies = {
  cgm: cgmBody,
  bg: bgBody,
  basal: basalBody,
  bolus: bolusBody,
  wizard: wizardBody,
  insulinTotal: insulinTotalBody,
  pumpSettings: pumpSettingsBody,
  food: foodBody,
  activity: activityBody,
  note: noteBody,
  deviceEvent: deviceEventBody,
  profile: profileBody,
} as const;

export type RecordType = keyof typeof bodies;
export const RECORD_TYPES = Object.keys(bodies) as RecordType[];

/** Which scope each record type lives in: a grant for a scope covers exactly these types. */
export const SCOPE_OF: Record<RecordType, Scope> = {
  cgm: "glucose",
  bg: "glucose",
  basal: "insulin",
  bolus: "insulin",
  wizard: "insulin",
  insulinTotal: "insulin",
  pumpSettings: "settings",
  food: "events",
  activity: "events",
  note: "events",
  deviceEvent: "alerts",
  profile: "identity",
};

const base = {
  /** Stable id. Imports derive it from the source's own ids so a re-import overwrites, never duplicates. */
  id: z.string().min(1).max(200),
  /** Data time: ms since the Unix epoch, UTC. */
  time: z
    .number()
    .int()
    .min(0)
    .max(2 ** 21 * 3_600_000 - 1),
  /** The device's own display time, "YYYY-MM-DDTHH:mm:ss", no offset. */
  deviceTime: z.string().max(40).optional(),
  /** Minutes to add to UTC to get local time when the data was recorded. */
  timezoneOffset: z.number().int().min(-1440).max(1440).optional(),
  /** Make-model-serial of the source device, e.g. "MedT-751-NG1234567H". */
  deviceId: z.string().max(200).optional(),
  /** Where the record came from. */
  source: z.enum(["carelink", "clarity", "nightscout", "manual", "steward"]).optional(),
};

const recordSchemas = RECORD_TYPES.map((type) => z.object({ ...base, type: z.literal(type), body: bodies[type] }));
export const recordSchema = z.discriminatedUnion(
  "type",
  recordSchemas as unknown as [(typeof recordSchemas)[number], ...(typeof recordSchemas)[number][]],
);

export type RecordBody<T extends RecordType> = z.infer<(typeof bodies)[T]>;
type Base = { [K in keyof typeof base]: z.infer<(typeof base)[K]> };
export type StewardRecord = {
  [T in RecordType]: Omit<Base, "deviceTime" | "timezoneOffset" | "deviceId" | "source"> &
    Partial<Pick<Base, "deviceTime" | "timezoneOffset" | "deviceId" | "source">> & { type: T; body: RecordBody<T> };
}[RecordType];
export type RecordOf<T extends RecordType> = Extract<StewardRecord, { type: T }>;

/** Validates untrusted input as a record; throws MalformedInput naming the first bad field. */
export function parseRecord(input: unknown): StewardRecord {
  const result = recordSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MalformedInput(`record: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return result.data as StewardRecord;
}

export const MS_PER_HOUR = 3_600_000;
/** Hour epoch of a data time; identity records all live in hour 0 (they are not a time series). */
export function hourOf(record: Pick<StewardRecord, "type" | "time">): number {
  return SCOPE_OF[record.type] === "identity" ? 0 : Math.floor(record.time / MS_PER_HOUR);
}

/** mg/dL per mmol/L, the factor Tidepool and Nightscout use. */
export const MGDL_PER_MMOLL = 18.01559;
