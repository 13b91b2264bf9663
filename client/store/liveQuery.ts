// A query that answers again whenever the store changes where it looks (a local write, a sync, a
// live update), as Dexie's liveQuery does for tables. Several queries can be watched as one (a
// screen showing some scopes over one period): a change that touches any of them reads them all
// again, together. Changes elsewhere are ignored, and a burst of them (an import writes hundreds of
// hours a second) costs one re-read at a time: the pause between two reads grows with how long a
// read takes, so a screen open during an import takes a small share of the work and the import
// keeps its speed. The first read is not a re-read: the first change after it (a screen opened on
// an empty store, then the first sync) answers as soon as that read's share of the work allows.
import { MS_PER_HOUR, type Scope, type StewardRecord } from "../../shared/records.js";
import type { RecordQuery } from "./recordStore.js";

/** What a live query hears: the records now stored (one list per query), or why they could not be read. */
export type LiveResult<T = StewardRecord[]> =
  | { readonly records: T; readonly error?: undefined }
  | { readonly records?: undefined; readonly error: Error };

export interface LiveSource {
  query(query: RecordQuery): Promise<StewardRecord[]>;
  subscribe(listener: (changes: readonly { scope: Scope; hour: number }[]) => void): () => void;
}

/** Least time between two re-reads while changes keep coming, and how many read-times a pause lasts. */
const REREAD_MS = 1_000;
const REREAD_FACTOR = 5;

/** Reads `queries` now and after every change one of them can see; returns the unsubscribe. */
export function liveQuery(
  source: LiveSource,
  queries: readonly RecordQuery[],
  listener: (result: LiveResult<StewardRecord[][]>) => void,
): () => void {
  let current = true;
  let reading = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let readyAt = 0;
  const read = async (rereading: boolean) => {
    reading = true;
    const started = performance.now();
    let result: LiveResult<StewardRecord[][]>;
    try {
      const records: StewardRecord[][] = [];
      for (const query of queries) records.push(await source.query(query));
      result = { records };
    } catch (error) {
      result = { error: error instanceof Error ? error : new Error(String(error)) };
    }
    if (current) listener(result);
    reading = false;
    const cost = REREAD_FACTOR * (performance.now() - started);
    readyAt = performance.now() + (rereading ? Math.max(REREAD_MS, cost) : cost);
    // A failed read (the store busy closing, a sync half applied) is tried again after the pause.
    if (again || result.error) {
      again = false;
      changed();
    }
  };
  /** A change: re-read once the last read has had its pause, at most one re-read waiting. */
  const changed = () => {
    if (timer || !current) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        if (reading) again = true;
        else void read(true);
      },
      Math.max(0, readyAt - performance.now()),
    );
  };
  // Identity records are not bound to the hours asked for: any change to them counts.
  const spans = queries.map((q) => ({
    scope: q.scope,
    fromHour: Math.floor(q.from / MS_PER_HOUR),
    toHour: Math.floor(q.to / MS_PER_HOUR),
  }));
  const touches = (c: { scope: Scope; hour: number }) =>
    spans.some((s) => c.scope === s.scope && (c.scope === "identity" || (c.hour >= s.fromHour && c.hour <= s.toHour)));
  const unsubscribe = source.subscribe((changes) => {
    if (changes.some(touches)) changed();
  });
  void read(false);
  return () => {
    current = false;
    if (timer) clearTimeout(timer);
    unsubscribe();
  };
}
