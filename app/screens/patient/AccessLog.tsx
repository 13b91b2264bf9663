// "Who opened what, when": the grantees' signed read receipts and the server's access log (its hash
// chain checked on this device), each entry a sentence naming the person, the categories and the
// dates, and whose word it is. Receipts the server left out show as a warning. A list, not a
// table, so nothing is cut off on a phone.
import type { Patient } from "../../../client/index.js";
import { describeEvent, missingText, olderText, repeatText, witnessText } from "../../accessLogText.js";
import { ErrorText } from "../../components/ErrorText.js";
import { useLoad } from "../../components/useAsync.js";
import { dateTime } from "../../format.js";

export function AccessLog({ patient }: { patient: Patient }) {
  const log = useLoad(async () => {
    const [events, grants] = await Promise.all([patient.accessLog(), patient.grants()]);
    return { events: [...events].reverse(), grants: new Map(grants.map((g) => [g.grantId, g])) };
  }, [patient]);
  const entries = log.value?.events ?? [];
  const ctx = { me: patient.accountId, grants: log.value?.grants ?? new Map() };
  const hidden = entries.filter((e) => e.missingReceipts).length;
  return (
    <>
      <h1>Access log</h1>
      <p class="hint">
        Every grant change, every download by someone you shared with, and every refused attempt, newest first. What
        someone read is signed by their own device; the rest is the server's word. This device checks that the log has
        not been edited or cut short.
      </p>
      {hidden > 0 && (
        <p class="banner warn" role="alert" data-testid="receipts-missing">
          The server left out signed receipts from {hidden === 1 ? "one device" : `${hidden} places`}: it may be hiding
          who read your data. The entries marked below say where.
        </p>
      )}
      <ErrorText error={log.error} />
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void log.reload()}>
          Refresh
        </button>
      </div>
      {log.value && entries.length === 0 && <p class="empty">Nothing yet.</p>}
      {entries.length > 0 && (
        <ol class="access-log" data-testid="access-log">
          {entries.map((e) => (
            <li
              key={`${e.witness}:${String(e.details.device ?? "")}:${e.seq}`}
              data-action={e.action}
              data-witness={e.witness}
              class={e.missingReceipts || e.shownOlderThan !== undefined ? "warn" : undefined}
            >
              <time dateTime={new Date(e.at).toISOString()}>{dateTime(e.at)}</time>
              <p>{describeEvent(e, ctx)}</p>
              {repeatText(e) && <p class="hint">{repeatText(e)}</p>}
              {missingText(e) && <p class="error-text">{missingText(e)}</p>}
              {olderText(e) && (
                <p class="error-text" data-testid="shown-older">
                  {olderText(e)}
                </p>
              )}
              <p class="hint">{witnessText(e)}</p>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
