// Async work from components: an action run by a button or form (busy and error for the UI), and a
// value loaded when its inputs change (with `reload` for a refresh).
import { useCallback, useEffect, useState } from "preact/hooks";

export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error };
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const reload = useCallback(
    () =>
      load().then(
        (v) => {
          setValue(v);
          setError(undefined);
        },
        (e: unknown) => setError(e),
      ),
    deps,
  );
  useEffect(() => {
    void reload();
  }, [reload]);
  return { value, error, reload };
}
