// Turns the contents a device holds for one scope (blocks, hour envelopes, local writes) into the
// records a query returns. Pure: no storage, no keys. Readings of one hour and id are one record;
// the hour's Yjs document, when there is one, overrides and deletes readings by id; a block's view
// stands in for the document of an hour nothing else edits, so no Yjs document is built for it.
import type * as Y from "yjs";
import { hourOf, type Scope, type StewardRecord } from "../../shared/records.js";
import type { DeletedRecord, ShardContent } from "../../shared/shardContent.js";
import { docFrom, viewOf, type HourView } from "./hourDoc.js";
import { pickReading } from "./readings.js";

export interface Source {
  readonly kind: "block" | "envelope" | "write";
  /** The hours the source may hold (a block's span, an envelope's hour). */
  readonly first: number;
  readonly last: number;
  readonly content: ShardContent;
}

export interface InvalidRecord {
  readonly scope: Scope;
  readonly hour: number;
  readonly id: string;
  readonly reason: string;
}

/** Yjs documents this device keeps for hours it wrote or that several sources edit, by hour. */
export type HourDocs = Map<number, Y.Doc>;

/**
 * Whether an hour is held by more than one source: only there do readings need merging by id. An
 * envelope or a write inside a block, or two blocks of which one holds the other (a newer inner
 * block beside an older outer one).
 */
function overlaps(sources: readonly Source[]): ((hour: number) => boolean) | undefined {
  const hours = new Set<number>();
  const seen = new Set<number>();
  const ranges: [number, number][] = [];
  const blocks = sources.filter((s) => s.kind === "block");
  for (const s of sources) {
    if (s.kind !== "block") {
      if (seen.has(s.first) || blocks.some((b) => s.first >= b.first && s.first <= b.last)) hours.add(s.first);
      seen.add(s.first);
    }
  }
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const from = Math.max(blocks[i]!.first, blocks[j]!.first);
      const to = Math.min(blocks[i]!.last, blocks[j]!.last);
      if (from <= to) ranges.push([from, to]);
    }
  }
  if (hours.size === 0 && ranges.length === 0) return undefined;
  return (hour) => {
    if (hours.has(hour)) return true;
    for (const range of ranges) if (hour >= range[0] && hour <= range[1]) return true;
    return false;
  };
}

export function shardKey(scope: Scope, hour: number): string {
  return `${scope}:${hour}`;
}

function inRange(hour: number, range: { fromHour: number; toHour: number }): boolean {
  return hour >= range.fromHour && hour <= range.toHour;
}

function byTimeThenId(a: StewardRecord, b: StewardRecord): number {
  return a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The live records of `scope` among `sources` in hours [fromHour, toHour] with data time in
 * [from, to], oldest first. `docs` holds the documents already built, and receives those built here
 * for hours that more than one source edits.
 */
export function materialise(
  scope: Scope,
  sources: readonly Source[],
  range: { fromHour: number; toHour: number; from: number; to: number },
  docs: HourDocs,
  invalid: InvalidRecord[],
): StewardRecord[] {
  const isMerged = overlaps(sources);
  const readings: StewardRecord[] = [];
  const byKey = new Map<string, StewardRecord>();
  const yjs = new Map<
    number,
    { updates: Uint8Array[]; views: { records: StewardRecord[]; deleted: DeletedRecord[] }[] }
  >();
  // In time order, so the readings mostly come out sorted and the final sort has little to do.
  for (const s of [...sources].sort((a, b) => a.first - b.first)) {
    for (const r of s.content.readings) {
      const hour = hourOf(r);
      if (!inRange(hour, range)) continue;
      if (!isMerged?.(hour)) readings.push(r);
      else {
        const key = `${hour}\u0000${r.id}`;
        byKey.set(key, pickReading(byKey.get(key), r));
      }
    }
    for (const { hour, update } of s.content.yjs) {
      if (!inRange(hour, range)) continue;
      let entry = yjs.get(hour);
      if (!entry) yjs.set(hour, (entry = { updates: [], views: [] }));
      entry.updates.push(update);
      if (s.kind === "block")
        entry.views.push({
          records: s.content.view.filter((v) => hourOf(v) === hour),
          deleted: s.content.deleted.filter((d) => d.hour === hour),
        });
    }
  }
  for (const r of byKey.values()) readings.push(r);
  for (const hour of docs.keys()) if (inRange(hour, range) && !yjs.has(hour)) yjs.set(hour, { updates: [], views: [] });

  // Every hour with an editable state: its view, from the document or from the one block that holds it.
  const views = new Map<number, HourView | { records: StewardRecord[]; deleted: DeletedRecord[] }>();
  for (const [hour, { updates, views: blockViews }] of yjs) {
    let doc = docs.get(hour);
    if (!doc && blockViews.length === 1 && updates.length === 1) {
      views.set(hour, blockViews[0]!);
      continue;
    }
    // A kept document already holds every update the device has for its hour (LocalLog keeps it so).
    if (!doc) {
      doc = docFrom(updates, shardKey(scope, hour));
      docs.set(hour, doc);
    }
    const view = viewOf(doc, scope, hour);
    for (const bad of view.invalid)
      if (!invalid.some((i) => i.id === bad.id && i.hour === hour)) invalid.push({ scope, hour, ...bad });
    views.set(hour, view);
  }

  const out: StewardRecord[] = [];
  const hidden = new Set<string>();
  for (const [hour, view] of views) {
    for (const d of view.deleted) hidden.add(`${hour}\u0000${d.id}`);
    for (const r of view.records) {
      hidden.add(`${hour}\u0000${r.id}`);
      if (r.time >= range.from && r.time <= range.to) out.push(r);
    }
  }
  for (const r of readings) {
    if (r.time < range.from || r.time > range.to) continue;
    if (hidden.size > 0 && views.has(hourOf(r)) && hidden.has(`${hourOf(r)}\u0000${r.id}`)) continue;
    out.push(r);
  }
  return out.sort(byTimeThenId);
}
