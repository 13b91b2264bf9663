// "Glucose statistics and targets" as the AGP report prints them: the period and whether its data
// suffice (14 days and 70 % CGM active, per the consensus), the targets of the person's population
// (2019 consensus) measured and checked, then mean glucose, GMI and variability with their goals.
import type { ConsensusMetrics, GlucoseAnalysis } from "../../client/index.js";
import { percent, perDay } from "../format.js";
import { type GlucoseUnit, glucose } from "../units.js";
import { rangeLabel } from "./ranges.js";

interface Props {
  analysis: GlucoseAnalysis;
  unit: GlucoseUnit;
  /** Calendar days of the period, and how many of them have readings. */
  days: number;
  daysWithData: number;
  period: string;
}

function bandText(goal: GlucoseAnalysis["targets"]["goals"][number], unit: GlucoseUnit): string {
  const label = rangeLabel(goal.band, unit);
  if (goal.band.below !== undefined && goal.band.atLeast === undefined) return `Below ${label.replace(/^below /, "")}`;
  if (goal.band.above !== undefined && goal.band.atMost === undefined) return `Above ${label.replace(/^above /, "")}`;
  return `In range ${label}`;
}

export function GlucoseStatistics({ analysis, unit, days, daysWithData, period }: Props) {
  const metrics: ConsensusMetrics = analysis.consensus;
  const { targets, goals } = analysis.targets;
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
          {sparse ? `CGM active ${percent(metrics.activePercent)} of the time` : ""}: the consensus asks for at least 14
          days and 70 % active time before these figures describe usual glucose.
        </p>
      )}
      <table class="targets" data-testid="targets">
        <caption>Ranges and targets: {targets.label.toLowerCase()}</caption>
        <thead>
          <tr>
            <th scope="col">Glucose range</th>
            <th scope="col">Target (time a day)</th>
            <th scope="col" class="num">
              Measured
            </th>
          </tr>
        </thead>
        <tbody>
          {goals.length === 0 && (
            <tr>
              <td colSpan={3}>
                The consensus sets a target range (
                {rangeLabel({ atLeast: targets.range.low, atMost: targets.range.high }, unit)}) but no percentages for
                this group.
              </td>
            </tr>
          )}
          {goals.map((g) => (
            <tr key={g.label} class={g.met ? undefined : "off-goal"}>
              <th scope="row">{bandText(g, unit)}</th>
              <td>
                {g.direction === "more" ? "over" : "under"} {g.percent} % ({perDay(g.percent)})
              </td>
              <td class="num">
                {percent(g.measured)}
                {g.met ? "" : ", not met"}
              </td>
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
