// A record before its UTC time is known: importers collect drafts, then the clock model places them.
import { parseRecord, type RecordBody, type RecordType, type StewardRecord } from "../../shared/records.js";
import { ClockModel } from "./clock.js";
import { formatWallClock } from "./timezone.js";
import type { SkippedRow } from "./types.js";

export interface Draft {
  line: number;
  /** Device wall clock, ms read as UTC. */
  wall: number;
  /** Clock changes that happened before this reading. */
  segment: number;
  id: string;
  type: RecordType;
  body: RecordBody<RecordType>;
}

export function draft<T extends RecordType>(line: number, wall: number, id: string, type: T, body: RecordBody<T>): Draft {
  return { line, wall, segment: 0, id, type, body };
}

/** Validates and places each draft in UTC; a draft that fails validation becomes a skipped row. */
export function finalize(drafts: readonly Draft[], clock: ClockModel, common: { deviceId: string; source: StewardRecord["source"] }, skipped: SkippedRow[]): StewardRecord[] {
  const out: StewardRecord[] = [];
  // A source id seen twice (an export listing one event under two timestamps) gets the device time
  // appended to every occurrence, so neither overwrites the other and re-imports still match.
  const seen = new Map<string, number>();
  for (const d of drafts) seen.set(d.id, (seen.get(d.id) ?? 0) + 1);
  for (const d of drafts) {
    const { time, timezoneOffset } = clock.toUtc(d.wall, d.segment);
    try {
      out.push(parseRecord({ id: (seen.get(d.id) ?? 0) > 1 ? `${d.id}@${formatWallClock(d.wall)}` : d.id, type: d.type, time, deviceTime: formatWallClock(d.wall), timezoneOffset, deviceId: common.deviceId, source: common.source, body: d.body }));
    } catch (e) {
      skipped.push({ line: d.line, reason: `invalid record: ${(e as Error).message}` });
    }
  }
  return out.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
}
