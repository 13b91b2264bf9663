// The caregiver's screen: the latest reading large, its trend and age, an alert level computed
// here, a browser notification when a reading crosses into low or high, and the last 24 hours.
// When the patient revokes or the grant expires, the readings are taken off the screen.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Grantee } from "../../../client/index.js";
import type { SyncStatus } from "../../../client/sync/syncEngine.js";
import type { RecordOf } from "../../../shared/records.js";
import { ALERT_TEXT, alertLevel, type AlertLevel } from "../../alerts.js";
import { GlucoseChart } from "../../components/GlucoseChart.js";
import { useNow } from "../../components/useNow.js";
import { cgmSamples, useRecords } from "../../components/useRecords.js";
import { ago, mgdl, TIME } from "../../format.js";
import { TREND_ARROWS } from "../../trend.js";

type View = Awaited<ReturnType<Grantee["open"]>>;

function useSyncStatus(view: View): SyncStatus {
  const [status, setStatus] = useState(view.sync.status);
  useEffect(() => view.sync.onStatus(setStatus), [view]);
  return status;
}

function notify(level: AlertLevel, reading: RecordOf<"cgm">, patient: string): void {
  if (level === "in-range" || typeof Notification === "undefined" || Notification.permission !== "granted") return;
  new Notification(`${ALERT_TEXT[level]}: @${patient}`, { body: mgdl(reading.body.mgdl), tag: `steward-${patient}` });
}

export function LiveGlucose({ view }: { view: View }) {
  const [opened] = useState(() => Date.now());
  const now = useNow(30_000);
  const status = useSyncStatus(view);
  const glucose = useRecords(view.records, "glucose", opened - TIME.DAY, opened + 2 * TIME.DAY);
  const readings = useMemo(() => glucose.records.filter((r): r is RecordOf<"cgm"> => r.type === "cgm"), [glucose.records]);
  const samples = useMemo(() => cgmSamples(readings), [readings]);
  const latest = readings[readings.length - 1];
  const level = latest ? alertLevel(latest.body.mgdl) : undefined;
  const patient = view.share.patient.handle ?? view.share.patient.accountId;
  const notified = useRef<string | undefined>(undefined);
  const [permission, setPermission] = useState(typeof Notification === "undefined" ? "denied" : Notification.permission);
  useEffect(() => {
    if (!latest || !level || notified.current === latest.id) return;
    // Only a reading newer than the screen itself is news; history is not re-announced.
    if (notified.current !== undefined || latest.time > opened) notify(level, latest, patient);
    notified.current = latest.id;
  }, [latest?.id]);

  if (status.ended)
    return (
      <div class="banner bad" role="alert" data-testid="access-ended">
        @{patient} ended this access, or it expired. Readings are no longer shown or updated.
      </div>
    );
  if (!latest) return <p class="empty">No readings in the last 24 hours yet. New ones appear here as they arrive.</p>;
  const trend = latest.body.trend ? TREND_ARROWS[latest.body.trend] : undefined;
  return (
    <>
      <section class={`live ${level}`} aria-live="polite" data-testid="live-reading" data-level={level}>
        <div>
          <span class="value" data-testid="live-value">
            {latest.body.mgdl}
          </span>{" "}
          mg/dL
          {trend?.arrow && (
            <span class="arrow" aria-hidden="true">
              {trend.arrow}
            </span>
          )}
        </div>
        <p>
          <strong data-testid="alert-level">{ALERT_TEXT[level!]}</strong>
          {trend ? `, ${trend.words}` : ""}. Reading taken <span data-testid="reading-age">{ago(latest.time, now)}</span>.
        </p>
        {now - latest.time > 20 * TIME.MINUTE && <p class="error-text">No new reading for over 20 minutes: the sensor or the patient's phone may be out of range.</p>}
      </section>
      {permission === "default" && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => void Notification.requestPermission().then(setPermission)}>
            Notify me of lows and highs
          </button>
        </div>
      )}
      <GlucoseChart samples={samples} label="Last 24 hours" />
    </>
  );
}
