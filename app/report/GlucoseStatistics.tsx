// "Glucose statistics and targets" as the AGP report prints them: the period and whether its data
// suffice (14 days and 70 % CGM active, per the consensus), the targets for type 1 and type 2
// diabetes, then mean glucose, GMI and variability with their goals.
import type { ConsensusMetrics } from "../../client/metrics/consensus.js";
import { percent } from "../format.js";
import { glucose, type GlucoseUnit } from "../units.js";
import { rangeLabel } from "./ranges.js";

const TARGETS = [
  { bounds: { from: 70, upTo: 180 }, what: "Target range", goal: "over 70 % (16 h 48 min)" },
  { bounds: { under: 70 }, what: "Below", goal: "under 4 % (58 min)" },
  { bounds: { under: 54 }, what: "Below", goal: "under 1 % (14 min)" },
  { bounds: { over: 180 }, what: "Above", goal: "under 25 % (6 h)" },
  { bounds: { over: 250 }, what: "Above", goal: "under 5 % (1 h 12 min)" },
] as const;

interface Props {
  metrics: ConsensusMetrics;
  unit: GlucoseUnit;
  /** Calendar days of the period, and how many of them have readings. */
  days: number;
  daysWithData: number;
  period: string;
}

export function GlucoseStatistics({ metrics, unit, days, daysWithData, period }: Props) {
  const short = daysWithData < 14;
  const sparse = metrics.activePercent < 70;
  return (
    <div class="stats" data-testid="metrics">
      <dl class="stat-list">
        <div>
          <dt>Period</dt>
          <dd>
            {period} ({days} day{days === 1 ? "" : "s"})
          </dd>
        </div>
        <div>
          <dt>Days with CGM data</dt>
          <dd data-testid="days-with-data">{daysWithData}</dd>
        </div>
        <div>
          <dt>% time CGM is active</dt>
          <dd data-testid="cgm-active">{percent(metrics.activePercent)}</dd>
        </div>
      </dl>
      {(short || sparse) && (
        <p class="banner warn" role="note" data-testid="sufficiency-warning">
          {short ? `Only ${daysWithData} day${daysWithData === 1 ? "" : "s"} with data` : ""}
          {short && sparse ? " and " : ""}
          {sparse ? `CGM active ${percent(metrics.activePercent)} of the time` : ""}: the consensus asks for at least 14 days and 70 % active time before these figures describe usual glucose.
        </p>
      )}
      <table class="targets">
        <caption>Ranges and targets for type 1 or type 2 diabetes</caption>
        <thead>
          <tr>
            <th scope="col">Glucose range</th>
            <th scope="col">Target % of readings (time a day)</th>
          </tr>
        </thead>
        <tbody>
          {TARGETS.map((t) => (
            <tr key={rangeLabel(t, "mg/dL")}>
              <th scope="row">{t.what === "Target range" ? `Target range ${rangeLabel(t, unit)}` : `${t.what} ${rangeLabel(t, unit).replace(/^(below|above) /, "")}`}</th>
              <td>{t.goal}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">Each 5 % more time in range is clinically beneficial.</p>
      <dl class="stat-list">
        <div>
          <dt>Mean glucose</dt>
          <dd data-testid="mean-glucose">{glucose(metrics.mean, unit)}</dd>
        </div>
        <div>
          <dt>Glucose management indicator (GMI)</dt>
          <dd data-testid="gmi">{metrics.gmi.toFixed(1)} %</dd>
        </div>
        <div>
          <dt>Glucose variability (CV), goal 36 % or less</dt>
          <dd data-testid="cv">{Number.isFinite(metrics.cv) ? percent(metrics.cv) : "–"}</dd>
        </div>
        <div>
          <dt>Readings</dt>
          <dd>{metrics.readings.toLocaleString("en-GB")}</dd>
        </div>
      </dl>
    </div>
  );
}
