// Insulin, meals, exercise, notes, finger-sticks and site or sensor changes as Nightscout
// `treatments` (the inverse of the importer's treatment mapping), each only when the source
// covers its category.
import type { Scope, StewardRecord } from "../../client/index.js";
import { documentId } from "../upload/uploads.js";
import { covers, read, type RecordSource } from "./source.js";

/** The categories whose records become treatments; a share needs insulin or events to have any. */
export const TREATMENT_SCOPES: readonly Scope[] = ["insulin", "events", "glucose", "alerts"];

const DEVICE_EVENT_TYPES: Partial<Record<string, string>> = {
  prime: "Site Change",
  reservoirChange: "Insulin Change",
  sensorChange: "Sensor Change",
};

/** Nightscout fields for one record, or undefined when it is not a treatment. */
function fields(record: StewardRecord): Record<string, unknown> | undefined {
  switch (record.type) {
    case "bolus": {
      const b = record.body;
      if (b.subType === "square" || b.subType === "dual/square") {
        const insulin = (b.normal ?? 0) + (b.extended ?? 0);
        return {
          eventType: "Combo Bolus",
          insulin,
          splitNow: insulin > 0 ? Math.round(((b.normal ?? 0) / insulin) * 100) : 0,
          splitExt: insulin > 0 ? Math.round(((b.extended ?? 0) / insulin) * 100) : 0,
          duration: (b.durationMs ?? 0) / 60_000,
        };
      }
      return b.subType === "automated"
        ? { eventType: "SMB", insulin: b.normal ?? 0, isSMB: true }
        : { eventType: "Correction Bolus", insulin: b.normal ?? 0 };
    }
    case "basal":
      if (record.body.deliveryType !== "temp") return undefined;
      return {
        eventType: "Temp Basal",
        ...(record.body.rate !== undefined ? { absolute: record.body.rate, rate: record.body.rate } : {}),
        ...(record.body.percent !== undefined ? { percent: Math.round(record.body.percent * 100 - 100) } : {}),
        ...(record.body.durationMs !== undefined ? { duration: record.body.durationMs / 60_000 } : {}),
      };
    case "food":
      return {
        eventType: "Carb Correction",
        carbs: record.body.carbsG ?? 0,
        ...(record.body.name ? { notes: record.body.name } : {}),
      };
    case "activity":
      return {
        eventType: "Exercise",
        ...(record.body.durationMin !== undefined ? { duration: record.body.durationMin } : {}),
        ...(record.body.name ? { notes: record.body.name } : {}),
      };
    case "note":
      return { eventType: "Note", notes: record.body.text };
    case "bg":
      return { eventType: "BG Check", glucose: record.body.mgdl, glucoseType: "Finger", units: "mg/dl" };
    case "deviceEvent": {
      const eventType = DEVICE_EVENT_TYPES[record.body.subType];
      return eventType ? { eventType, ...(record.body.text ? { notes: record.body.text } : {}) } : undefined;
    }
    default:
      return undefined;
  }
}

export function treatmentDocument(record: StewardRecord): Record<string, unknown> | undefined {
  const f = fields(record);
  if (!f) return undefined;
  return {
    _id: documentId(record.id),
    ...f,
    created_at: new Date(record.time).toISOString(),
    mills: record.time,
    utcOffset: record.timezoneOffset ?? 0,
    enteredBy: record.deviceId ?? "steward",
    identifier: record.id,
    carbs: f.carbs ?? null,
    insulin: f.insulin ?? null,
  };
}

export function offersTreatments(source: RecordSource): boolean {
  return covers(source, "insulin") || covers(source, "events");
}

/** Treatments in [from, to] (within the source's coverage), newest first, at most `count`. */
export async function queryTreatments(
  source: RecordSource,
  options: { from: number; to?: number; count?: number },
): Promise<Record<string, unknown>[]> {
  const to = options.to ?? Number.MAX_SAFE_INTEGER;
  const records: StewardRecord[] = [];
  for (const scope of TREATMENT_SCOPES) records.push(...(await read(source, scope, options.from, to)));
  const documents = records
    .sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : 1))
    .map(treatmentDocument)
    .filter((d): d is Record<string, unknown> => d !== undefined);
  return options.count !== undefined ? documents.slice(0, options.count) : documents;
}
