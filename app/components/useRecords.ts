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
    setState((s) => ({ ...s, loading: true }));
    return store.live(
      scopes.map((scope) => ({ scope, from, to })),
      (result) => {
        if (result.error) return setState((s) => ({ ...s, loading: false, error: result.error }));
        const byScope: ScopesState["byScope"] = {};
        for (const [i, scope] of scopes.entries()) byScope[scope] = result.records[i];
        setState({ byScope, loading: false });
      },
    );
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
