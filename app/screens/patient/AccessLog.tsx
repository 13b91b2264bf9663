// "Who opened what, when": the server's access log, its hash chain checked on this device.
import type { Patient } from "../../../client/index.js";
import { actionText, detailText } from "../../accessLogText.js";
import { ErrorText } from "../../components/ErrorText.js";
import { useLoad } from "../../components/useAsync.js";
import { dateTime } from "../../format.js";

export function AccessLog({ patient }: { patient: Patient }) {
  const log = useLoad(() => patient.accessLog(), [patient]);
  const entries = [...(log.value ?? [])].reverse();
  return (
    <>
      <h1>Access log</h1>
      <p class="hint">Every grant change, every download by someone you shared with, and every refused attempt. This device checks that the log has not been edited or cut short.</p>
      <ErrorText error={log.error} />
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void log.reload()}>
          Refresh
        </button>
      </div>
      {log.value && entries.length === 0 && <p class="empty">Nothing yet.</p>}
      {entries.length > 0 && (
        <div class="scroll">
          <table data-testid="access-log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e, i) => (
                <tr key={i}>
                  <td>{dateTime(e.at)}</td>
                  <td>{e.actor.handle ? `@${e.actor.handle}` : (e.actor.accountId?.slice(0, 12) ?? "unknown")}</td>
                  <td>{actionText(e.action)}</td>
                  <td>{detailText(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
