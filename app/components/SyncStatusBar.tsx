// Always on screen: online or not, how many changes wait to be sent, when this device last synced,
// whether what it shows may be incomplete (the patient's devices went quiet past the heartbeat
// bound: nothing new, or withheld by the server, cannot be told apart), and the last error in words. (The engine syncs on return by itself; this only shows it.)
import { useEffect, useState } from "preact/hooks";
import { ServerUnreachable, type SyncEngine, type SyncStatus } from "../../client/index.js";
import { logError, personMessage } from "../errorText.js";
import { ago, dateTime } from "../format.js";
import { useNow } from "./useNow.js";

/** "Phone", "Phone and Laptop", "Phone, Tablet and Laptop". */
function names(devices: readonly string[]): string {
  const quoted = devices.map((d) => `“${d}”`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}` : quoted[0]!;
}

/** Which devices went quiet, so a laptop that is only asleep can be told from data held back. */
function quiet(devices: readonly string[] | undefined): string {
  return devices?.length ? ` (nothing heard from ${names(devices)} since)` : "";
}

/** Offline is already said by the state; anything else in a sentence, details in the console. */
function shortError(error: Error): string {
  logError(error);
  return personMessage(error);
}

export function SyncStatusBar({ sync }: { sync: SyncEngine }) {
  const [status, setStatus] = useState<SyncStatus>(sync.status);
  const [browserOnline, setBrowserOnline] = useState(navigator.onLine);
  const now = useNow(15_000);
  useEffect(() => sync.onStatus(setStatus), [sync]);
  useEffect(() => {
    const online = () => setBrowserOnline(true);
    const offline = () => setBrowserOnline(false);
    addEventListener("online", online);
    addEventListener("offline", offline);
    return () => {
      removeEventListener("online", online);
      removeEventListener("offline", offline);
    };
  }, [sync]);
  const connected = browserOnline && status.online;
  const state = status.ended ? "ended" : connected ? "online" : "offline";
  return (
    <div
      class={`sync-status ${state}`}
      role="status"
      aria-live="polite"
      data-testid="sync-status"
      data-state={state}
      data-pending={status.pending}
    >
      <span class="dot" aria-hidden="true" />
      <span data-testid="sync-state">{status.ended ? "Access ended" : connected ? "Online" : "Offline"}</span>
      <span class="pending" data-testid="sync-pending">
        {status.pending === 0
          ? "all changes sent"
          : `${status.pending} change${status.pending === 1 ? "" : "s"} waiting to sync`}
      </span>
      {status.syncing ? (
        <span class="when">
          <progress class="syncing" aria-label="Syncing" /> syncing…
        </span>
      ) : (
        <span class="when">{status.lastSyncedAt ? `synced ${ago(status.lastSyncedAt, now)}` : "not synced yet"}</span>
      )}
      {status.incompleteSince !== undefined && !status.ended && (
        <span class="error" data-testid="sync-incomplete">
          {status.incompleteSince > 0
            ? `possibly incomplete since ${dateTime(status.incompleteSince)}${quiet(status.quietDevices)}`
            : `possibly incomplete: no word yet from ${status.quietDevices?.length ? names(status.quietDevices) : "the patient's devices"}`}
        </span>
      )}
      {status.error && !status.ended && !(status.error instanceof ServerUnreachable) && (
        <span class="error">{shortError(status.error)}</span>
      )}
      {!status.ended && (
        <button
          type="button"
          onClick={() => void sync.sync().catch(() => undefined)}
          disabled={!browserOnline || status.syncing}
        >
          Sync now
        </button>
      )}
    </div>
  );
}
