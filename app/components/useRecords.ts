// Records of one scope and period, re-read whenever the store changes (a local write, a sync or a
// live update), so every screen shows what is in IndexedDB now.
import { useEffect, useState } from "preact/hooks";
import type { RecordStore } from "../../client/store/recordStore.js";
import type { Scope, StewardRecord } from "../../shared/records.js";

export interface RecordsState {
  records: StewardRecord[];
  loading: boolean;
  error?: Error;
}

type Readable = Pick<RecordStore, "query" | "subscribe">;

export function useRecords(store: Readable, scope: Scope, from: number, to: number): RecordsState {
  const [state, setState] = useState<RecordsState>({ records: [], loading: true });
  useEffect(() => {
    let current = true;
    const read = () =>
      store.query({ scope, from, to }).then(
        (records) => current && setState({ records, loading: false }),
        (error: Error) => current && setState({ records: [], loading: false, error }),
      );
    void read();
    const unsubscribe = store.subscribe(() => void read());
    return () => {
      current = false;
      unsubscribe();
    };
  }, [store, scope, from, to]);
  return state;
}

/** CGM samples of a glucose query, each with its UTC offset so days fold in the patient's local time. */
export { glucoseSamples as cgmSamples } from "../../client/metrics/samples.js";
