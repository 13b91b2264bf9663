// One reading per moment across sources: the same sensor reading imported from Clarity and from
// Nightscout (or any two exports of one CGM) must count once in every metric. Readings of one type
// from different sources that lie within the sensor's interval of each other are one reading; the
// source with more readings over the stretch both cover is kept, and the other's copies go.
import type { RecordStore } from "../store/recordStore.js";
import type { StewardRecord } from "../../shared/records.js";

type Reading = Extract<StewardRecord, { type: "cgm" | "bg" }>;
type Source = NonNullable<StewardRecord["source"]>;

/** What one import merged with readings already stored from another source. */
export interface MergedReadings {
  type: "cgm" | "bg";
  /** The source whose records stay. */
  kept: Source;
  /** The source whose copies were dropped (from the file, or deleted from the store). */
  dropped: Source;
  readings: number;
}

const CGM_INTERVAL = 300_000;
/** Two finger-sticks from two sources are one when taken in the same minute with the same value. */
const BG_WINDOW = 60_000;

const isReading = (r: StewardRecord): r is Reading => r.type === "cgm" || r.type === "bg";

/** Half the sensor's interval: closer readings of two sources are one reading, farther ones are neighbours. */
function window(a: Reading, b: Reading): number {
  if (a.type === "bg") return BG_WINDOW;
  const interval = Math.min(
    a.type === "cgm" ? (a.body.intervalMs ?? CGM_INTERVAL) : CGM_INTERVAL,
    b.type === "cgm" ? (b.body.intervalMs ?? CGM_INTERVAL) : CGM_INTERVAL,
  );
  return interval / 2;
}

/**
 * The batch to write, after merging its readings with stored readings of other sources. Stored
 * copies that lose are deleted here (through the store's public API); the file's copies that lose
 * are left out of the returned batch.
 */
export async function mergeAcrossSources(
  store: Pick<RecordStore, "query" | "delete">,
  batch: readonly StewardRecord[],
): Promise<{ write: StewardRecord[]; merged: MergedReadings[] }> {
  const readings = batch.filter(isReading);
  if (readings.length === 0) return { write: [...batch], merged: [] };
  const times = readings.map((r) => r.time);
  const from = Math.max(0, Math.min(...times) - CGM_INTERVAL);
  const to = Math.max(...times) + CGM_INTERVAL;
  const ids = new Set(batch.map((r) => r.id));
  const stored = (await store.query({ scope: "glucose", from, to })).filter(
    (r): r is Reading => isReading(r) && !ids.has(r.id),
  );
  const drop = new Set<StewardRecord>();
  const merged: MergedReadings[] = [];

  for (const type of ["cgm", "bg"] as const) {
    const incoming = readings.filter((r) => r.type === type).sort((a, b) => a.time - b.time);
    const bySource = new Map<Source | undefined, Reading[]>();
    for (const r of stored) {
      if (r.type !== type || r.source === incoming[0]?.source) continue;
      const list = bySource.get(r.source);
      if (list) list.push(r);
      else bySource.set(r.source, [r]);
    }
    for (const [otherSource, others] of bySource) {
      const pairs = matchPairs(
        incoming,
        others.sort((a, b) => a.time - b.time),
      );
      if (pairs.length === 0 || !otherSource) continue;
      // Completeness over the stretch both sources cover; a tie keeps what is stored.
      const lo = Math.max(incoming[0]?.time ?? 0, others[0]?.time ?? 0);
      const hi = Math.min(incoming.at(-1)?.time ?? 0, others.at(-1)?.time ?? 0);
      const count = (list: readonly Reading[]) => list.filter((r) => r.time >= lo && r.time <= hi).length;
      const fileWins = count(incoming) > count(others);
      const source = incoming[0]?.source ?? "steward";
      for (const [mine, theirs] of pairs) {
        if (fileWins) await store.delete(theirs);
        else drop.add(mine);
      }
      merged.push({
        type,
        kept: fileWins ? source : otherSource,
        dropped: fileWins ? otherSource : source,
        readings: pairs.length,
      });
    }
  }
  return { write: batch.filter((r) => !drop.has(r)), merged };
}

/** One-to-one pairs of readings closer than their window, walking both sorted lists once. */
function matchPairs(mine: readonly Reading[], theirs: readonly Reading[]): [Reading, Reading][] {
  const pairs: [Reading, Reading][] = [];
  let j = 0;
  for (const r of mine) {
    while (j < theirs.length && (theirs[j] as Reading).time < r.time - window(r, theirs[j] as Reading)) j++;
    const o = theirs[j];
    if (!o || Math.abs(o.time - r.time) >= window(r, o)) continue;
    if (r.type === "bg" && r.body.mgdl !== o.body.mgdl) continue;
    pairs.push([r, o]);
    j++;
  }
  return pairs;
}
