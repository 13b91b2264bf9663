// Device alerts and alarms of the period (occlusions, low reservoir, suspends, sensor changes...):
// how many of each kind, then each one with its time on the patient's clock.
import type { RecordOf, StewardRecord } from "../../client/index.js";
import { dateTime } from "../format.js";

const KIND: Record<RecordOf<"deviceEvent">["body"]["subType"], string> = {
  alarm: "Alarm",
  alert: "Alert",
  status: "Pump status",
  prime: "Prime",
  reservoirChange: "Reservoir change",
  timeChange: "Clock change",
  calibration: "Calibration",
  sensorChange: "Sensor change",
  other: "Other event",
};

/** "low_insulin" or "lowInsulin" → "low insulin". */
const words = (code: string) =>
  code
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/_/g, " ")
    .toLowerCase();

/** What kind of event, as counted in the summary: "low insulin alarm", "sensor change". */
function kindOf(r: RecordOf<"deviceEvent">): string {
  return r.body.alarmType
    ? `${words(r.body.alarmType)} ${r.body.subType === "alarm" ? "alarm" : "alert"}`
    : KIND[r.body.subType].toLowerCase();
}

function what(r: RecordOf<"deviceEvent">): string {
  const b = r.body;
  const head = b.alarmType ? `${KIND[b.subType]}: ${words(b.alarmType)}` : KIND[b.subType];
  const detail = [
    b.status,
    b.reason,
    b.text && b.text.toLowerCase() !== words(b.alarmType ?? "") ? b.text : undefined,
    b.subType === "timeChange" && b.from && b.to ? `${b.from} → ${b.to}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  return detail ? `${head} (${detail})` : head;
}

export function DeviceAlerts({ records, timeZone }: { records: readonly StewardRecord[]; timeZone: string }) {
  const events = records.filter((r): r is RecordOf<"deviceEvent"> => r.type === "deviceEvent");
  if (events.length === 0) return <p class="empty">No device alerts in this period.</p>;
  const counts = new Map<string, number>();
  for (const e of events) counts.set(kindOf(e), (counts.get(kindOf(e)) ?? 0) + 1);
  return (
    <div data-testid="device-alerts">
      <p>
        {events.length} device event{events.length === 1 ? "" : "s"}:{" "}
        {[...counts]
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${n} × ${k}`)
          .join(", ")}
        .
      </p>
      <ul class="entries screen-only">
        {[...events].reverse().map((e) => (
          <li key={e.id}>
            <time dateTime={new Date(e.time).toISOString()}>{dateTime(e.time, timeZone)}</time> — {what(e)}
          </li>
        ))}
      </ul>
    </div>
  );
}
