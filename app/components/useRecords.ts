// Records of some scopes and a period, re-read whenever the store changes (a local write, a sync or
// a live update), so every screen shows what is in IndexedDB now. Changes elsewhere are ignored, and
// a burst of them (an import writes hundreds of shards a second) costs one re-read at a time.
import { useEffect, useState } from "preact/hooks";
import type { RecordStore } from "../../client/store/recordStore.js";
import { MS_PER_HOUR, type Scope, type StewardRecord } from "../../shared/records.js";

/**
 * Least time between two re-reads while changes keep coming; a slow read waits longer, so a screen
 * open during a large import takes a small share of the work (the import keeps its speed).
 */
const REREAD_MS = 1_000;
const REREAD_FACTOR = 5;

export interface ScopesState {
  byScope: Partial<Record<Scope, StewardRecord[]>>;
  loading: boolean;
  error?: Error;
}

export interface RecordsState {
  records: StewardRecord[];
  loading: boolean;
  error?: Error;
}

type Readable = Pick<RecordStore, "query" | "subscribe">;

export function useRecordsOf(store: Readable, scopes: readonly Scope[], from: number, to: number): ScopesState {
  const [state, setState] = useState<ScopesState>({ byScope: {}, loading: true });
  const key = scopes.join(",");
  useEffect(() => {
    let current = true;
    let reading = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let readyAt = 0;
    const read = async () => {
      timer = undefined;
      reading = true;
      const started = performance.now();
      try {
        const byScope: ScopesState["byScope"] = {};
        for (const scope of scopes) byScope[scope] = await store.query({ scope, from, to });
        if (current) setState({ byScope, loading: false });
      } catch (error) {
        if (current) setState({ byScope: {}, loading: false, error: error as Error });
      }
      reading = false;
      readyAt = performance.now() + Math.max(REREAD_MS, REREAD_FACTOR * (performance.now() - started));
      if (again) {
        again = false;
        changed();
      }
    };
    /** A change: re-read once the last read has had its pause, at most one re-read waiting. */
    const changed = () => {
      if (timer || !current) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (reading) again = true;
        else void read();
      }, Math.max(0, readyAt - performance.now()));
    };
    setState((s) => ({ ...s, loading: true }));
    void read();
    const fromHour = Math.floor(from / MS_PER_HOUR);
    const toHour = Math.floor(to / MS_PER_HOUR);
    const unsubscribe = store.subscribe((changes) => {
      if (changes.some((c) => scopes.includes(c.scope) && (c.scope === "identity" || (c.hour >= fromHour && c.hour <= toHour)))) changed();
    });
    return () => {
      current = false;
      if (timer) clearTimeout(timer);
      unsubscribe();
    };
  }, [store, key, from, to]);
  return state;
}

export function useRecords(store: Readable, scope: Scope, from: number, to: number): RecordsState {
  const state = useRecordsOf(store, [scope], from, to);
  return { records: state.byScope[scope] ?? [], loading: state.loading, ...(state.error ? { error: state.error } : {}) };
}

/** CGM samples of a glucose query, each with its UTC offset so days fold in the patient's local time. */
export { glucoseSamples as cgmSamples } from "../../client/metrics/samples.js";
