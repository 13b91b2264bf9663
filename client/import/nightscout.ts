// Nightscout `entries` and `treatments` JSON (as `/api/v1/entries.json`, `/api/v1/treatments.json` or a
// mongoexport --jsonArray return them). The document is one JSON array, so there are no lines: each item's
// `line` in skipped rows and drafts is its 1-based position in the array (item 1 is `array[0]`).
// Entries and treatments may be mixed in one array; an item with `eventType` is a treatment.
// Nightscout stores UTC epoch ms (`date`, `mills`) or ISO strings (`created_at`, `dateString`), so no clock model
// is needed; `ImportOptions.timeZone` is used only for ISO strings without an offset and for `timezoneOffset`
// when the item carries neither `utcOffset` nor an offset in its ISO string.
import { MalformedInput } from "../../shared/errors.js";
import { MGDL_PER_MMOLL, parseRecord, type TRENDS, type StewardRecord } from "../../shared/records.js";
import { textChunks } from "./textChunks.js";
import { formatWallClock, offsetMinutesAt, wallClockToUtc } from "./timezone.js";
import {
  collectImport,
  type ImportEvent,
  type ImportInput,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
} from "./types.js";

type Trend = (typeof TRENDS)[number];
type Item = Record<string, unknown>;

/**
 * Why an item gave no record. `invalid`: the item is malformed (no date, a value that is not a
 * reading); otherwise it is a well-formed Nightscout document of a kind Steward does not keep.
 */
export interface NightscoutSkip {
  readonly reason: string;
  readonly invalid: boolean;
}
const unsupported = (reason: string): NightscoutSkip => ({ reason, invalid: false });
const invalid = (reason: string): NightscoutSkip => ({ reason, invalid: true });

/**
 * Nightscout `direction` → our trend. "NONE" and unknown strings give no trend. Medtronic's triple
 * arrows have no trend of their own and read as double (listed first, so exports write DoubleUp).
 */
export const NIGHTSCOUT_DIRECTIONS: Record<string, Trend> = {
  TripleUp: "doubleUp",
  TripleDown: "doubleDown",
  DoubleUp: "doubleUp",
  SingleUp: "singleUp",
  FortyFiveUp: "fortyFiveUp",
  Flat: "flat",
  FortyFiveDown: "fortyFiveDown",
  SingleDown: "singleDown",
  DoubleDown: "doubleDown",
  "NOT COMPUTABLE": "notComputable",
  "RATE OUT OF RANGE": "rateOutOfRange",
};

/** Dexcom's convention, which Nightscout follows: sgv below 39 is a sensor error code, 39 means "LOW". */
const SGV_LOW = 39;

const BOLUS_EVENTS = new Set([
  "Bolus",
  "Meal Bolus",
  "Snack Bolus",
  "Correction Bolus",
  "Combo Bolus",
  "SMB",
  "Carb Correction",
  "Carbs",
]);
const NOTE_EVENTS = new Set(["Note", "Announcement", "Question", "D.A.D. Alert"]);
/** Event types with a mapping of their own, which insulin or carbs on them do not override. */
const OTHER_EVENTS = new Set(["BG Check", "Exercise", "Temp Basal", "Temp Basal Start", "Temp Basal End"]);
const DEVICE_EVENTS: Record<
  string,
  { subType: "prime" | "reservoirChange" | "sensorChange" | "other"; reason?: string }
> = {
  "Site Change": { subType: "prime", reason: "cannula" },
  "Insulin Change": { subType: "reservoirChange" },
  "Sensor Start": { subType: "sensorChange", reason: "sensor start" },
  "Sensor Change": { subType: "sensorChange" },
  "Sensor Stop": { subType: "other", reason: "sensor stop" },
  "Pump Battery Change": { subType: "other", reason: "pump battery change" },
};

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** "+02:00" / "-0500" / "Z" at the end of an ISO string → minutes east of UTC ("Z" gives 0). */
function isoOffset(s: string): number | undefined {
  if (/z$/i.test(s)) return 0;
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (!m || !/T|\s/.test(s.slice(0, -6))) return undefined;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** UTC ms and local offset of an item, from its epoch field or ISO string. */
function timing(
  item: Item,
  epochKeys: readonly string[],
  isoKeys: readonly string[],
  timeZone: string,
): { time: number; deviceTime: string; timezoneOffset: number } | undefined {
  let time: number | undefined;
  let offset: number | undefined;
  for (const k of isoKeys) {
    const s = str(item[k]);
    if (!s) continue;
    const off = isoOffset(s);
    if (off === undefined) {
      // No offset: the uploader's local wall clock.
      const wall = Date.parse(`${s.replace(" ", "T").slice(0, 23)}Z`);
      if (Number.isFinite(wall)) time ??= wallClockToUtc(wall, timeZone);
    } else {
      const t = Date.parse(s);
      if (Number.isFinite(t)) {
        time ??= t;
        // "Z" says only that the string is in UTC, not where the person was.
        if (off !== 0) offset ??= off;
      }
    }
    break;
  }
  for (const k of epochKeys) {
    const t = num(item[k]);
    if (t !== undefined && t > 0) {
      time = Math.round(t);
      break;
    }
  }
  if (time === undefined) return undefined;
  const utcOffset = num(item.utcOffset);
  const timezoneOffset =
    utcOffset !== undefined && Math.abs(utcOffset) <= 1440
      ? Math.round(utcOffset)
      : (offset ?? offsetMinutesAt(time, timeZone));
  return { time, deviceTime: formatWallClock(time + timezoneOffset * 60_000), timezoneOffset };
}

/** A treatment's glucose in mg/dL (`units` "mmol" converts). */
function treatmentGlucose(item: Item): number | undefined {
  const g = num(item.glucose);
  if (g === undefined) return undefined;
  return Math.round(/mmol/i.test(str(item.units) ?? "") ? g * MGDL_PER_MMOLL : g);
}

/**
 * Records (as unvalidated objects) for one item, or why it gives none. `key` names the item in
 * record ids (from its data time and device) in place of its own identifier or _id.
 */
function convert(
  item: Item,
  timeZone: string,
  key?: (time: number, device: string) => string,
): unknown[] | NightscoutSkip {
  const device = str(item.device) ?? str(item.enteredBy) ?? "nightscout";
  const sourceId =
    str(item.identifier) ??
    str(item._id) ??
    (typeof item._id === "object" && item._id !== null ? str((item._id as Item).$oid) : undefined);
  const eventType = str(item.eventType);

  if (eventType === undefined) {
    const type = str(item.type) ?? (item.sgv !== undefined ? "sgv" : item.mbg !== undefined ? "mbg" : undefined);
    if (type === undefined) return invalid("neither an entry (type) nor a treatment (eventType)");
    if (type === "cal") return unsupported("calibration entry (sensor slope/intercept, not a reading)");
    if (type !== "sgv" && type !== "mbg") return unsupported(`unsupported entry type ${type}`);
    const t = timing(item, ["date", "mills"], ["dateString", "sysTime"], timeZone);
    if (!t) return invalid("no readable date");
    const raw = num(type === "sgv" ? item.sgv : item.mbg);
    if (raw === undefined) return invalid(`${type} entry without a value`);
    const mgdl = Math.round(raw);
    const base = {
      ...t,
      deviceId: device,
      source: "nightscout" as const,
      id: `nightscout:${key?.(t.time, device) ?? sourceId ?? `${type}:${t.time}`}`,
    };
    if (type === "mbg") return [{ ...base, type: "bg", body: { mgdl, subType: "manual" } }];
    if (mgdl < SGV_LOW) return unsupported(`sensor error code ${mgdl} (no reading)`);
    const trend = NIGHTSCOUT_DIRECTIONS[str(item.direction) ?? ""];
    return [
      {
        ...base,
        type: "cgm",
        body: { mgdl, ...(trend ? { trend } : {}), ...(mgdl === SGV_LOW ? { outOfRange: "low" } : {}) },
      },
    ];
  }

  const t = timing(item, ["mills", "date", "timestamp"], ["created_at", "timestamp"], timeZone);
  if (!t) return invalid("no readable created_at");
  const idBase = `nightscout:${key?.(t.time, device) ?? sourceId ?? `${eventType}:${t.time}`}`;
  const rec = (kind: string, type: string, body: object) => ({
    ...t,
    deviceId: device,
    source: "nightscout",
    id: `${idBase}:${kind}`,
    type,
    body,
  });
  const notes = str(item.notes);
  const out: unknown[] = [];
  const glucose = treatmentGlucose(item);
  // A finger-stick entered with any careportal event; sensor values already arrive as entries.
  const bg = () => (glucose !== undefined ? [rec("bg", "bg", { mgdl: glucose, subType: "manual" })] : []);
  const withBg = (records: unknown[]) => [
    ...records,
    ...(str(item.glucoseType) === "Sensor" && eventType !== "BG Check" ? [] : bg()),
  ];

  if (eventType === "BG Check") {
    return glucose === undefined ? unsupported("BG Check without a glucose value") : bg();
  }
  const insulin = num(item.insulin);
  const carbs = num(item.carbs);
  // xDrip+ sends insulin and carbs as "<none>" events; Nightscout counts them whatever the type.
  const dosed = (insulin ?? 0) > 0 || (carbs ?? 0) > 0;
  if ((insulin ?? 0) < 0 || (carbs ?? 0) < 0) return invalid(`${eventType} with negative insulin or carbs`);
  if (
    BOLUS_EVENTS.has(eventType) ||
    (dosed && !OTHER_EVENTS.has(eventType) && !NOTE_EVENTS.has(eventType) && !DEVICE_EVENTS[eventType])
  ) {
    if (insulin !== undefined && insulin > 0) {
      const automated = item.isSMB === true || item.automatic === true || eventType === "SMB";
      if (eventType === "Combo Bolus") {
        const now = num(item.splitNow) ?? 100;
        const ext = num(item.splitExt) ?? 100 - now;
        const durationMs = Math.round((num(item.duration) ?? 0) * 60_000);
        const normal = Math.round(insulin * now) / 100;
        const extended = Math.round(insulin * ext) / 100;
        out.push(
          rec(
            "bolus",
            "bolus",
            now > 0
              ? { subType: "dual/square", normal, extended, durationMs }
              : { subType: "square", extended, durationMs },
          ),
        );
      } else {
        out.push(rec("bolus", "bolus", { subType: automated ? "automated" : "normal", normal: insulin }));
      }
    }
    if (carbs !== undefined && carbs > 0)
      out.push(rec("food", "food", { carbsG: carbs, ...(notes ? { name: notes } : {}) }));
    if (out.length === 0 && glucose === undefined) return unsupported(`${eventType} without insulin or carbs`);
    return withBg(out);
  }
  if (NOTE_EVENTS.has(eventType)) {
    const text = notes ?? str(item.reason);
    return withBg([
      rec("note", "note", { text: text && eventType !== "Note" ? `${eventType}: ${text}` : (text ?? eventType) }),
    ]);
  }
  if (eventType === "Exercise") {
    const minutes = num(item.duration);
    return withBg([
      rec("activity", "activity", {
        ...(notes ? { name: notes } : {}),
        ...(minutes !== undefined ? { durationMin: minutes } : {}),
      }),
    ]);
  }
  if (eventType === "Temp Basal" || eventType === "Temp Basal Start") {
    const absolute = num(item.absolute) ?? num(item.rate);
    const percent = num(item.percent);
    const minutes = num(item.duration);
    if (absolute === undefined && percent === undefined)
      return unsupported(`${eventType} without absolute rate or percent`);
    return withBg([
      rec("basal", "basal", {
        deliveryType: "temp",
        ...(absolute !== undefined ? { rate: absolute } : {}),
        // Nightscout's percent is the change (-30 = 70 % of the scheduled rate); ours is the fraction.
        ...(percent !== undefined ? { percent: Math.round(100 + percent) / 100 } : {}),
        ...(minutes !== undefined ? { durationMs: Math.round(minutes * 60_000) } : {}),
      }),
    ]);
  }
  if (eventType === "Temp Basal End")
    return unsupported("Temp Basal End (the temp basal's own duration is kept; an early end is not represented)");
  const dev = DEVICE_EVENTS[eventType];
  if (dev) {
    return withBg([
      rec("device", "deviceEvent", {
        subType: dev.subType,
        ...(dev.reason ? { reason: dev.reason } : {}),
        ...(notes ? { text: notes } : {}),
      }),
    ]);
  }
  return unsupported(`unsupported event type ${eventType}`);
}

/**
 * One Nightscout entry or treatment as validated records, or why it gives none (a record that
 * fails validation makes the item invalid). `key` as in convert: the bridge names uploads by
 * what Nightscout de-duplicates on.
 */
export function nightscoutItemRecords(
  item: unknown,
  timeZone: string,
  key?: (time: number, device: string) => string,
): StewardRecord[] | NightscoutSkip {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return invalid("not a JSON object");
  const result = convert(item as Item, timeZone, key);
  if (!Array.isArray(result)) return result;
  try {
    return result.map((record) => parseRecord(record));
  } catch (e) {
    return invalid(`invalid record: ${(e as Error).message}`);
  }
}

/** Streams records from a Nightscout entries and/or treatments JSON array. `line` is the 1-based array index. */
export async function* importNightscout(input: ImportInput, options: ImportOptions): AsyncGenerator<ImportEvent> {
  const totalBytes = options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes };
  let text = "";
  let bytes = 0;
  for await (const chunk of textChunks(input)) {
    text += chunk.text;
    bytes = chunk.bytesDone;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new MalformedInput(
      `Nightscout import: not JSON (${(e as Error).message}); export entries or treatments as a JSON array`,
    );
  }
  if (!Array.isArray(doc))
    throw new MalformedInput("Nightscout import: expected a JSON array of entries or treatments");
  for (let i = 0; i < doc.length; i++) {
    const line = i + 1;
    if (line % 500 === 0)
      yield { kind: "progress", rowsDone: line, bytesDone: Math.round((bytes * line) / doc.length), ...totalBytes };
    const item: unknown = doc[i];
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      yield { kind: "skipped", line, reason: "not a JSON object" };
      continue;
    }
    const result = convert(item as Item, options.timeZone);
    if (!Array.isArray(result)) {
      yield { kind: "skipped", line, reason: result.reason };
      continue;
    }
    for (const record of result) {
      try {
        yield { kind: "record", record: parseRecord(record), lines: [line] };
      } catch (e) {
        yield { kind: "skipped", line, reason: `invalid record: ${(e as Error).message}` };
      }
    }
  }
  yield { kind: "progress", rowsDone: doc.length, bytesDone: Math.max(bytes, options.totalBytes ?? 0), ...totalBytes };
}

export function importNightscoutFile(
  input: ImportInput,
  options: ImportOptions,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportResult> {
  return collectImport(importNightscout(input, options), onProgress);
}
