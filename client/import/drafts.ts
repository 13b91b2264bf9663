// A record before its UTC time is known: importers collect drafts, then the clock model places them.
import { parseRecord, type RecordBody, type RecordType, type StewardRecord } from "../../shared/records.js";
import type { ClockModel } from "./clock.js";
import { formatWallClock } from "./timezone.js";
import type { SkippedRow } from "./types.js";

export interface Draft {
  line: number;
  /** Every source row merged into this record (the draft's own `line` first). */
  lines: number[];
  /** Device wall clock, ms read as UTC. */
  wall: number;
  /** Clock changes that happened before this reading. */
  segment: number;
  id: string;
  type: RecordType;
  body: RecordBody<RecordType>;
}

export function draft<T extends RecordType>(
  line: number,
  wall: number,
  id: string,
  type: T,
  body: RecordBody<T>,
): Draft {
  return { line, lines: [line], wall, segment: 0, id, type, body };
}

/** A record placed in UTC, with the source rows it was made from. */
export interface PlacedRecord {
  record: StewardRecord;
  lines: readonly number[];
}

/**
 * The work after a CareLink file is read is a step generator: it pauses (yields) every ROWS_PER_STEP
 * rows so the importer can hand its caller a progress event, and a browser caller a turn to paint.
 */
export type Steps<T> = Generator<void, T>;
export const ROWS_PER_STEP = 1000;

/** Validates and places each draft in UTC; a draft that fails validation becomes a skipped row. */
export function* finalize(
  drafts: readonly Draft[],
  clock: ClockModel,
  common: { deviceId: string; source: StewardRecord["source"] },
  skipped: SkippedRow[],
): Steps<PlacedRecord[]> {
  const out: PlacedRecord[] = [];
  // A source id seen twice (an export listing one event under two timestamps) gets the device time
  // appended to every occurrence, so neither overwrites the other and re-imports still match.
  const seen = new Map<string, number>();
  for (const d of drafts) seen.set(d.id, (seen.get(d.id) ?? 0) + 1);
  for (const [i, d] of drafts.entries()) {
    if (i % ROWS_PER_STEP === ROWS_PER_STEP - 1) yield;
    const { time, timezoneOffset } = clock.toUtc(d.wall, d.segment);
    try {
      const record = parseRecord({
        id: (seen.get(d.id) ?? 0) > 1 ? `${d.id}@${formatWallClock(d.wall)}` : d.id,
        type: d.type,
        time,
        deviceTime: formatWallClock(d.wall),
        timezoneOffset,
        deviceId: common.deviceId,
        source: common.source,
        body: d.body,
      });
      out.push({ record, lines: d.lines });
    } catch (e) {
      for (const line of d.lines) skipped.push({ line, reason: `invalid record: ${(e as Error).message}` });
    }
  }
  return out.sort((a, b) => a.record.time - b.record.time || (a.record.id < b.record.id ? -1 : 1));
}
