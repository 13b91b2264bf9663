// The caregiver's screen: the latest reading large, its trend and age, an alert level computed
// here, a browser notification when a reading crosses into low or high, and the last 24 hours.
// A reading older than 15 minutes is dimmed with its age, so nobody acts on it as if it were now.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { RecordOf, SharedView } from "../../../client/index.js";
import { ALERT_TEXT, type AlertLevel, alertLevel } from "../../alerts.js";
import { GlucoseChart } from "../../components/GlucoseChart.js";
import { UnitSelect } from "../../components/UnitSelect.js";
import { useNow } from "../../components/useNow.js";
import { cgmSamples, useRecords } from "../../components/useRecords.js";
import { ago, TIME } from "../../format.js";
import { TREND_ARROWS } from "../../trend.js";
import { type GlucoseUnit, glucose as glucoseText, glucoseValue, useGlucoseUnit } from "../../units.js";

/** A reading older than this is not "now": it is dimmed and its age stands out. */
const STALE_MS = 15 * TIME.MINUTE;

function notify(level: AlertLevel, reading: RecordOf<"cgm">, patient: string, unit: GlucoseUnit): void {
  if (level === "in-range" || typeof Notification === "undefined" || Notification.permission !== "granted") return;
  new Notification(`${ALERT_TEXT[level]}: @${patient}`, {
    body: glucoseText(reading.body.mgdl, unit),
    tag: `steward-${patient}`,
  });
}

export function LiveGlucose({ view }: { view: SharedView }) {
  const [opened] = useState(() => Date.now());
  const now = useNow(15_000);
  const unit = useGlucoseUnit();
  const glucose = useRecords(view.records, "glucose", opened - TIME.DAY, opened + 2 * TIME.DAY);
  const readings = useMemo(
    () => glucose.records.filter((r): r is RecordOf<"cgm"> => r.type === "cgm"),
    [glucose.records],
  );
  const samples = useMemo(() => cgmSamples(readings), [readings]);
  const latest = readings[readings.length - 1];
  const level = latest ? alertLevel(latest.body.mgdl) : undefined;
  const patient = view.share.patient.handle ?? view.share.patient.accountId;
  const notified = useRef<string | undefined>(undefined);
  const [permission, setPermission] = useState(
    typeof Notification === "undefined" ? "denied" : Notification.permission,
  );
  useEffect(() => {
    if (!latest || !level || notified.current === latest.id) return;
    // Only a reading newer than the screen itself is news; history is not re-announced.
    if (notified.current !== undefined || latest.time > opened) notify(level, latest, patient, unit);
    notified.current = latest.id;
  }, [latest?.id]);

  if (!latest) return <p class="empty">No readings in the last 24 hours yet. New ones appear here as they arrive.</p>;
  const trend = latest.body.trend ? TREND_ARROWS[latest.body.trend] : undefined;
  const stale = now - latest.time > STALE_MS;
  return (
    <>
      <section
        class={`live ${level}${stale ? " stale" : ""}`}
        aria-live="polite"
        data-testid="live-reading"
        data-level={level}
        data-stale={stale}
      >
        <div>
          <span class="value" data-testid="live-value">
            {glucoseValue(latest.body.mgdl, unit)}
          </span>{" "}
          {unit}
          {trend?.arrow && (
            <span class="arrow" aria-hidden="true">
              {trend.arrow}
            </span>
          )}
        </div>
        <p>
          <strong data-testid="alert-level">{ALERT_TEXT[level!]}</strong>
          {trend ? `, ${trend.words}` : ""}. Reading taken{" "}
          <span data-testid="reading-age">{ago(latest.time, now)}</span>.
        </p>
        {stale && (
          <p class="stale-note" data-testid="stale-reading">
            This reading is {ago(latest.time, now)}: no new reading for over 15 minutes. The sensor or the patient's
            phone may be out of range.
          </p>
        )}
      </section>
      {permission === "default" && (
        <div class="actions">
          <button
            type="button"
            class="secondary"
            onClick={() => void Notification.requestPermission().then(setPermission)}
          >
            Notify me of lows and highs
          </button>
        </div>
      )}
      <div class="toolbar">
        <UnitSelect unit={unit} />
      </div>
      <GlucoseChart samples={samples} unit={unit} label="Last 24 hours" />
    </>
  );
}
