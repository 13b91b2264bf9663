// Glucose as Nightscout's `entries`: the documents `/api/v1/entries` returns (newest first, UTC
// `dateString` and `sysTime` with the reading's `utcOffset`, as Nightscout stores them), the query
// parameters followers send (`count`, `find[date][$gte]` ...), and the tab- or comma-separated form.
import { MalformedInput, toNightscoutEntries, type StewardRecord } from "../../client/index.js";
import { documentId } from "../upload/uploads.js";
import { DAY_MS, newest, type RecordSource } from "./source.js";

export type EntryType = "sgv" | "mbg";

export interface EntriesQuery {
  readonly count: number;
  readonly from?: number;
  readonly to?: number;
  readonly types: readonly EntryType[];
}

/** Nightscout answers 10 entries unless asked for more, and looks back 4 days without a date filter. */
export const DEFAULT_COUNT = 10;
const DEFAULT_LOOKBACK_MS = 4 * DAY_MS;
const MAX_COUNT = 100_000;

/** `find[date][$gte]=…` and friends, epoch ms or ISO (`find[dateString]`); undefined when absent. */
export function dateBounds(
  query: (name: string) => string | undefined,
  field: string,
  now: number,
  lookback = DEFAULT_LOOKBACK_MS,
): { from: number; to?: number } {
  const read = (op: string): number | undefined => {
    const raw = query(`find[${field}][${op}]`) ?? query(`find[dateString][${op}]`);
    if (raw === undefined || raw === "") return undefined;
    // Some clients send an ISO offset's "+" unescaped, which arrives as a space.
    const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw.replace(" ", "+"));
    if (!Number.isFinite(value)) throw new MalformedInput(`Cannot parse ${raw} as a valid ISO-8601 date`);
    return value;
  };
  const gte = read("$gte");
  const gt = read("$gt");
  const lte = read("$lte");
  const lt = read("$lt");
  const lower = gte ?? (gt !== undefined ? Math.floor(gt) + 1 : undefined);
  const upper = lte ?? (lt !== undefined ? Math.ceil(lt) - 1 : undefined);
  const bounded = lower !== undefined || upper !== undefined || query("find[dateString]") !== undefined;
  return { from: lower ?? (bounded ? 0 : now - lookback), ...(upper !== undefined ? { to: upper } : {}) };
}

export function countOf(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < 0) throw new MalformedInput(`count must be a whole number, not ${raw}`);
  return Math.min(n === 0 ? fallback : n, MAX_COUNT);
}

function utc(time: number): string {
  return new Date(time).toISOString();
}

/** Entries documents for glucose records, newest first. */
export function entryDocuments(records: readonly StewardRecord[]): Record<string, unknown>[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  return toNightscoutEntries(records).map((e) => {
    const { identifier, dateString: _local, ...rest } = e;
    const record = byId.get(identifier)!;
    return {
      _id: documentId(identifier),
      ...rest,
      dateString: utc(e.date),
      sysTime: utc(e.date),
      utcOffset: record.timezoneOffset ?? 0,
      identifier,
    };
  });
}

const ENTRY_TYPES: Record<EntryType, StewardRecord["type"]> = { sgv: "cgm", mbg: "bg" };

/** The entries a query asks for, within what the source covers. */
export async function queryEntries(source: RecordSource, query: EntriesQuery): Promise<Record<string, unknown>[]> {
  const wanted = new Set(query.types.map((t) => ENTRY_TYPES[t]));
  const records = await newest(source, "glucose", {
    count: query.count,
    ...(query.from !== undefined ? { from: query.from } : {}),
    ...(query.to !== undefined ? { to: query.to } : {}),
    keep: (r) => wanted.has(r.type),
  });
  return entryDocuments(records);
}

/** Nightscout's text form: dateString, date, sgv, direction, device; each JSON-quoted. */
export function separated(documents: readonly Record<string, unknown>[], separator: "\t" | ","): string {
  return documents
    .map((d) =>
      ["dateString", "date", "sgv", "direction", "device"]
        .map((f) => (d[f] === undefined || d[f] === null ? "" : JSON.stringify(d[f])))
        .join(separator),
    )
    .join("\r\n");
}
