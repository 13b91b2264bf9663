// What an uploader POSTs, as Steward records: entries and treatments through the importer's
// Nightscout mapping, device status as a status event. Record ids are built from what makes two
// uploads the same reading (kind, device, data time), so a re-sent upload overwrites itself.
// A malformed item refuses the whole request (nothing is stored); a well-formed document of a
// kind Steward does not keep (a calibration, a profile switch) is accepted and left out.
import { createHash } from "node:crypto";
import {
  MalformedInput,
  nightscoutItemRecords,
  parseRecord,
  type NightscoutSkip,
  type StewardRecord,
} from "../../client/index.js";
import { deviceStatusRecord } from "./deviceStatus.js";

export type Collection = "entries" | "treatments" | "devicestatus";

export interface MappedUpload {
  readonly records: StewardRecord[];
  /** The documents as Nightscout answers a POST: what was sent, with an `_id`. */
  readonly documents: Record<string, unknown>[];
  /** Documents accepted but not kept, with the reason. */
  readonly notKept: { readonly index: number; readonly reason: string }[];
}

/** Nightscout's 24-hex document id, derived from the upload's identity so a re-upload keeps it. */
export function documentId(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 24);
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);

/** Nightscout takes one document or an array of them. */
function documentsOf(body: unknown, collection: Collection): unknown[] {
  if (Array.isArray(body)) return body;
  if (typeof body === "object" && body !== null) return [body];
  throw new MalformedInput(`a ${collection} upload must be a JSON object or an array of them`);
}

function itemRecords(
  collection: Collection,
  item: Record<string, unknown>,
  timeZone: string,
  now: number,
): { key: string; result: StewardRecord[] | NightscoutSkip } {
  let key = "";
  const keyed = (time: number, device: string) =>
    (key = `${collection}:${item.type ?? item.eventType ?? ""}:${device}:${time}`);
  if (collection === "devicestatus") {
    const result = deviceStatusRecord(item, now, (time, device) => `nightscout:${keyed(time, device)}`);
    const records = Array.isArray(result) ? result.map((r) => parseRecord(r)) : result;
    return { key, result: records };
  }
  if (collection === "entries" && text(item.eventType))
    return { key, result: { reason: "a treatment (eventType) sent to entries", invalid: true } };
  if (collection === "treatments" && !text(item.eventType))
    return { key, result: { reason: "a treatment needs an eventType", invalid: true } };
  // Nightscout dates a treatment sent without one at its arrival.
  const dated =
    collection === "treatments" && !["created_at", "timestamp", "mills", "date"].some((k) => item[k] !== undefined)
      ? { ...item, created_at: new Date(now).toISOString() }
      : item;
  const result = nightscoutItemRecords(dated, timeZone, keyed);
  return { key, result };
}

/**
 * Maps one POST body. Throws MalformedInput naming the first malformed document (by its 1-based
 * position), so the request stores nothing.
 */
export function mapUpload(
  collection: Collection,
  body: unknown,
  options: { timeZone: string; now?: number },
): MappedUpload {
  const now = options.now ?? Date.now();
  const records: StewardRecord[] = [];
  const documents: Record<string, unknown>[] = [];
  const notKept: { index: number; reason: string }[] = [];
  documentsOf(body, collection).forEach((item, i) => {
    if (typeof item !== "object" || item === null || Array.isArray(item))
      throw new MalformedInput(`${collection} document ${i + 1}: not a JSON object`);
    const { key, result } = itemRecords(collection, item as Record<string, unknown>, options.timeZone, now);
    if (!Array.isArray(result)) {
      if (result.invalid) throw new MalformedInput(`${collection} document ${i + 1}: ${result.reason}`);
      notKept.push({ index: i, reason: result.reason });
    } else records.push(...result);
    const { secret: _secret, token: _token, ...document } = item as Record<string, unknown>;
    documents.push({ ...document, _id: documentId(key ? `nightscout:${key}` : `${collection}:${i}:${now}`) });
  });
  return { records, documents, notKept };
}
