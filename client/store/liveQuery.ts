// A query that answers again whenever the store changes where it looks (a local write, a sync, a
// live update), as Dexie's liveQuery does for tables. Changes elsewhere are ignored, and a burst of
// them (an import writes hundreds of hours a second) costs one re-read at a time: the pause between
// two reads grows with how long a read takes, so a screen open during an import takes a small share
// of the work and the import keeps its speed.
import { MS_PER_HOUR, type Scope, type StewardRecord } from "../../shared/records.js";
import type { RecordQuery } from "./recordStore.js";

/** What a live query hears: the records now stored, or why they could not be read. */
export type LiveResult = { readonly records: StewardRecord[]; readonly error?: undefined } | { readonly records?: undefined; readonly error: Error };

export interface LiveSource {
  query(query: RecordQuery): Promise<StewardRecord[]>;
  subscribe(listener: (changes: readonly { scope: Scope; hour: number }[]) => void): () => void;
}

/**
 * Live reads of one store run one at a time, as a screen's queries of several scopes would one
 * after another: a sync's burst of changes then costs one read at a time, not one per screen part.
 */
const queues = new WeakMap<LiveSource, Promise<unknown>>();

function inTurn<T>(source: LiveSource, task: () => Promise<T>): Promise<T> {
  const run = (queues.get(source) ?? Promise.resolve()).then(task);
  queues.set(source, run.catch(() => undefined));
  return run;
}

/** Least time between two re-reads while changes keep coming, and how many read-times a pause lasts. */
const REREAD_MS = 1_000;
const REREAD_FACTOR = 5;

/** Reads `query` now and after every change it can see; returns the unsubscribe. */
export function liveQuery(source: LiveSource, query: RecordQuery, listener: (result: LiveResult) => void): () => void {
  let current = true;
  let reading = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let readyAt = 0;
  const read = async () => {
    reading = true;
    const started = performance.now();
    let result: LiveResult;
    try {
      result = { records: await inTurn(source, () => source.query(query)) };
    } catch (error) {
      result = { error: error instanceof Error ? error : new Error(String(error)) };
    }
    if (current) listener(result);
    reading = false;
    readyAt = performance.now() + Math.max(REREAD_MS, REREAD_FACTOR * (performance.now() - started));
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
        else void read();
      },
      Math.max(0, readyAt - performance.now()),
    );
  };
  const fromHour = Math.floor(query.from / MS_PER_HOUR);
  const toHour = Math.floor(query.to / MS_PER_HOUR);
  // Identity records are not bound to the hours asked for: any change to them counts.
  const touches = (c: { scope: Scope; hour: number }) =>
    c.scope === query.scope && (c.scope === "identity" || (c.hour >= fromHour && c.hour <= toHour));
  const unsubscribe = source.subscribe((changes) => {
    if (changes.some(touches)) changed();
  });
  void read();
  return () => {
    current = false;
    if (timer) clearTimeout(timer);
    unsubscribe();
  };
}
