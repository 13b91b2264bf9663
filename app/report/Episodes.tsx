// Low and high episodes (2023 consensus, as iglu's episode_calculation counts them: 15 minutes at
// or past the threshold to start, 15 back to end), and on screen the further variability and risk
// metrics a clinician may look for (MAGE, MODD, CONGA, LBGI, HBGI, ADRR...).
import { memo } from "preact/compat";
import type { EpisodeKind, GlucoseAnalysis } from "../../client/index.js";
import { percent } from "../format.js";
import { type GlucoseUnit, glucose } from "../units.js";

const ROWS: { kind: EpisodeKind; name: string }[] = [
  { kind: "hypoLv2", name: "Very low (below 54 mg/dL)" },
  { kind: "hypoLv1", name: "Low (below 70 mg/dL)" },
  { kind: "hypoExtended", name: "Extended low (below 70 mg/dL for over 2 h)" },
  { kind: "hyperLv1", name: "High (above 180 mg/dL)" },
  { kind: "hyperLv2", name: "Very high (above 250 mg/dL)" },
];

const num = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

// Memoised: the report re-renders on every sync status and unit change, and this part is long.
export const Episodes = memo(function Episodes({ analysis, unit }: { analysis: GlucoseAnalysis; unit: GlucoseUnit }) {
  const episodes = analysis.episodes;
  const v = analysis.variability;
  const r = analysis.risk;
  const more: [string, string][] = [
    ["MAGE", glucose(v.mage, unit)],
    ["MODD", glucose(v.modd, unit)],
    [`CONGA (${v.congaHours} h)`, glucose(v.conga, unit)],
    ["Interquartile range", glucose(v.iqr, unit)],
    ["SD within days", glucose(v.sd.sdWithinDays, unit)],
    ["SD between days", glucose(v.sd.sdBetweenDays, unit)],
    ["LBGI", num(r.lbgi)],
    ["HBGI", num(r.hbgi)],
    ["ADRR", num(r.adrr)],
    ["J-index", num(r.jIndex)],
    ["eA1C", `${num(r.eA1c)} %`],
    ["Time in tight range (70–140 mg/dL)", percent(analysis.consensus.inRange70to140)],
  ];
  return (
    <div data-testid="episodes">
      {!episodes ? (
        <p class="empty">Too few readings in a row to count episodes.</p>
      ) : (
        <table class="episodes">
          <thead>
            <tr>
              <th scope="col">Episodes of at least 15 minutes</th>
              <th scope="col" class="num">
                Count
              </th>
              <th scope="col" class="num">
                Per day
              </th>
              <th scope="col" class="num">
                Mean length
              </th>
            </tr>
          </thead>
          <tbody>
            {ROWS.map(({ kind, name }) => (
              <tr key={kind} data-episode={kind}>
                <th scope="row">{name}</th>
                <td class="num">{episodes[kind].total}</td>
                <td class="num">{num(episodes[kind].perDay)}</td>
                <td class="num">
                  {episodes[kind].total > 0 ? `${Math.round(episodes[kind].meanDurationMinutes)} min` : "–"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details class="screen-only">
        <summary>Variability and risk metrics (iglu definitions)</summary>
        <dl class="stat-list" data-testid="more-metrics">
          {more.map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>{value.startsWith("NaN") ? "–" : value}</dd>
            </div>
          ))}
        </dl>
      </details>
    </div>
  );
});
