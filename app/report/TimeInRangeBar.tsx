// The AGP's stacked time-in-ranges bar in the five standard colours, very high on top, each range
// labelled with its share, its time per day and its goal. Screen readers hear the words
// ("In range 70–180 mg/dL: 32 %"), never the raw fraction.
import type { ConsensusMetrics } from "../../client/index.js";
import { percent, perDay } from "../format.js";
import type { GlucoseUnit } from "../units.js";
import { rangeLabel, rangeRows } from "./ranges.js";

/** `goals`: false when the person's targets are another population's (they are listed with the statistics). */
export function TimeInRangeBar({
  metrics,
  unit,
  goals = true,
}: {
  metrics: ConsensusMetrics;
  unit: GlucoseUnit;
  goals?: boolean;
}) {
  const rows = rangeRows(metrics);
  return (
    <div class="tir" data-testid="time-in-range">
      <div class="tir-bar" aria-hidden="true">
        {rows.map((r) => (
          <span
            key={r.kind}
            class={`tir-${r.kind}`}
            style={{ flexGrow: r.value, minHeight: r.value > 0 ? "3px" : "0" }}
          />
        ))}
      </div>
      <ul class="tir-legend" aria-label="Time in ranges">
        {rows.map((r) => (
          <li key={r.kind} class={goals && !r.met ? "off-goal" : undefined} data-range={r.kind}>
            <span class={`swatch tir-${r.kind}`} aria-hidden="true" />
            <span class="tir-name">
              {r.name} <span class="tir-bounds">{rangeLabel(r.bounds, unit)}</span>
            </span>
            <strong class="tir-value">{percent(r.value)}</strong>
            <span class="tir-time">({perDay(r.value)} a day)</span>
            {goals && (
              <span class="goal">
                goal {r.goal}
                {r.met ? "" : ", not met"}
              </span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
