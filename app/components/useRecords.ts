// Records of some scopes and a period, re-read whenever the store changes (a local write, a sync or
// a live update), so every screen shows what is in IndexedDB now. Changes elsewhere are ignored, and
// a burst of them (an import writes hundreds of shards a second) costs one re-read at a time.
import { useEffect, useState } from "preact/hooks";
import type { RecordStore } from "../../client/store/recordStore.js";
import { MS_PER_HOUR, type Scope, type StewardRecord } from "../../shared/records.js";

/** Least time between two re-reads while changes keep coming. */
const REREAD_MS = 500;

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
    const read = async () => {
      if (reading) return void (again = true);
      reading = true;
      try {
        const byScope: ScopesState["byScope"] = {};
        for (const scope of scopes) byScope[scope] = await store.query({ scope, from, to });
        if (current) setState({ byScope, loading: false });
      } catch (error) {
        if (current) setState({ byScope: {}, loading: false, error: error as Error });
      }
      if (again && current) await new Promise((resolve) => setTimeout(resolve, REREAD_MS));
      reading = false;
      if (again && current) {
        again = false;
        void read();
      }
    };
    setState((s) => ({ ...s, loading: true }));
    void read();
    const fromHour = Math.floor(from / MS_PER_HOUR);
    const toHour = Math.floor(to / MS_PER_HOUR);
    const unsubscribe = store.subscribe((changes) => {
      if (changes.some((c) => scopes.includes(c.scope) && (c.scope === "identity" || (c.hour >= fromHour && c.hour <= toHour)))) void read();
    });
    return () => {
      current = false;
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
