// Records of some scopes and a period, as the SDK's live queries keep them: re-read whenever the
// store changes there (a local write, a sync or a live update), so every screen shows what is in
// IndexedDB now, at a pace that leaves a running import its speed.
import { useEffect, useState } from "preact/hooks";
import type { RecordStore, Scope, StewardRecord } from "../../client/index.js";

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

type Readable = Pick<RecordStore, "live">;

export function useRecordsOf(store: Readable, scopes: readonly Scope[], from: number, to: number): ScopesState {
  const [state, setState] = useState<ScopesState>({ byScope: {}, loading: true });
  const key = scopes.join(",");
  useEffect(() => {
    const byScope: ScopesState["byScope"] = {};
    const errors = new Map<Scope, Error>();
    setState((s) => ({ ...s, loading: true }));
    const stops = scopes.map((scope) =>
      store.live({ scope, from, to }, (result) => {
        if (result.error) errors.set(scope, result.error);
        else {
          errors.delete(scope);
          byScope[scope] = result.records;
        }
        const [error] = errors.values();
        const loading = scopes.some((s) => byScope[s] === undefined && !errors.has(s));
        setState({ byScope: { ...byScope }, loading, ...(error ? { error } : {}) });
      }),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }, [store, key, from, to]);
  return state;
}

export function useRecords(store: Readable, scope: Scope, from: number, to: number): RecordsState {
  const state = useRecordsOf(store, [scope], from, to);
  return {
    records: state.byScope[scope] ?? [],
    loading: state.loading,
    ...(state.error ? { error: state.error } : {}),
  };
}

/** CGM samples of a glucose query, each with its UTC offset so days fold in the patient's local time. */
export { glucoseSamples as cgmSamples } from "../../client/index.js";
