// Which sync engines are busy with work the app started (a push after a write or import, the first
// pull when a view opens, a sync on reconnect), so the status bar can show progress while it runs.
// Failures are left to the engine's status; callers here only start work.
import { useEffect, useState } from "preact/hooks";
import type { SyncEngine } from "../client/index.js";

const running = new WeakMap<SyncEngine, number>();
const listeners = new Set<() => void>();

function track(sync: SyncEngine, work: Promise<void>): Promise<void> {
  running.set(sync, (running.get(sync) ?? 0) + 1);
  for (const l of listeners) l();
  return work.finally(() => {
    running.set(sync, (running.get(sync) ?? 1) - 1);
    for (const l of listeners) l();
  });
}

/** Pushes what waits and pulls what is new; resolves or rejects with the engine's result. */
export function syncNow(sync: SyncEngine): Promise<void> {
  return track(sync, sync.sync());
}

/** Starts following live updates (its first step is a full sync). */
export function startFollowing(sync: SyncEngine): void {
  void track(sync, sync.follow()).catch(() => undefined);
}

export function useSyncing(sync: SyncEngine): boolean {
  const [busy, setBusy] = useState(() => (running.get(sync) ?? 0) > 0);
  useEffect(() => {
    const update = () => setBusy((running.get(sync) ?? 0) > 0);
    listeners.add(update);
    update();
    return () => void listeners.delete(update);
  }, [sync]);
  return busy;
}
