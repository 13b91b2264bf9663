// Gets local writes to the server as soon as the network allows: a sync when the browser says it is
// back online, retried with growing pauses if the network is not quite there yet, and a periodic
// check for changes still waiting (a live socket can outlive an offline spell without noticing it).
import type { SyncEngine } from "../client/index.js";
import { syncNow } from "./syncActivity.js";

const CHECK_MS = 15_000;
const MAX_RETRY_MS = 30_000;

export function keepSynced(sync: SyncEngine): () => void {
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const attempt = () => {
    if (retry) clearTimeout(retry);
    retry = undefined;
    if (!navigator.onLine) return;
    syncNow(sync).then(
      () => (failures = 0),
      () => {
        if (sync.status.ended) return;
        retry = setTimeout(attempt, Math.min(MAX_RETRY_MS, 1_000 * 2 ** failures++));
      },
    );
  };
  const check = setInterval(() => {
    if (sync.status.pending > 0 && !retry) attempt();
  }, CHECK_MS);
  addEventListener("online", attempt);
  return () => {
    removeEventListener("online", attempt);
    clearInterval(check);
    if (retry) clearTimeout(retry);
  };
}
