// The pump settings in force at the end of the shared period: the active basal schedule, carb
// ratios, sensitivities and targets, as the pump reported them.
import type { RecordOf, StewardRecord } from "../../client/index.js";
import { dateTime } from "../format.js";
import { type GlucoseUnit, glucose, glucoseValue } from "../units.js";

const clock = (ms: number) =>
  `${String(Math.floor(ms / 3_600_000)).padStart(2, "0")}:${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, "0")}`;

function Schedule({ title, rows }: { title: string; rows: { startMs: number; value: string }[] }) {
  if (rows.length === 0) return null;
  return (
    <table>
      <caption>{title}</caption>
      <tbody>
        {rows.map((r) => (
          <tr key={r.startMs}>
            <th scope="row">from {clock(r.startMs)}</th>
            <td>{r.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SettingsInForce({
  records,
  unit,
  timeZone,
}: {
  records: readonly StewardRecord[];
  unit: GlucoseUnit;
  timeZone: string;
}) {
  const settings = records.filter((r): r is RecordOf<"pumpSettings"> => r.type === "pumpSettings").at(-1);
  if (!settings) return <p class="empty">No pump settings in this period.</p>;
  const body = settings.body;
  const active = body.activeSchedule ?? Object.keys(body.basalSchedules)[0];
  const basal = active ? (body.basalSchedules[active] ?? []) : [];
  return (
    <div class="grid two" data-testid="settings">
      <p>
        Reported {dateTime(settings.time, timeZone)}
        {body.model ? ` by ${body.model}` : ""}
        {body.insulinActionHours !== undefined ? `; active insulin time ${body.insulinActionHours} h` : ""}.
      </p>
      <Schedule
        title={`Basal rates${active ? ` (${active})` : ""}`}
        rows={basal.map((b) => ({ startMs: b.startMs, value: `${b.rate} U/h` }))}
      />
      <Schedule
        title="Carb ratios"
        rows={(body.carbRatios ?? []).map((c) => ({ startMs: c.startMs, value: `1 U per ${c.amount} g` }))}
      />
      <Schedule
        title="Insulin sensitivity"
        rows={(body.insulinSensitivities ?? []).map((s) => ({
          startMs: s.startMs,
          value: `1 U lowers ${glucose(s.amount, unit)}`,
        }))}
      />
      <Schedule
        title="Targets"
        rows={(body.bgTargets ?? []).map((t) => ({
          startMs: t.startMs,
          value: `${[t.low, t.target, t.high].flatMap((v) => (v === undefined ? [] : [glucoseValue(v, unit)])).join(" / ")} ${unit}`,
        }))}
      />
    </div>
  );
}
