// Time in ranges as the consensus reports it, most urgent first, with the targets beside each.
import type { ConsensusMetrics } from "../../client/metrics/consensus.js";
import { percent } from "../format.js";

export function TimeInRange({ metrics }: { metrics: ConsensusMetrics }) {
  const rows = [
    { label: "Very high (above 250 mg/dL)", value: metrics.above250, goal: "under 5 %", kind: "very-high" },
    { label: "High (181-250 mg/dL)", value: metrics.above180 - metrics.above250, goal: "", kind: "high" },
    { label: "In range (70-180 mg/dL)", value: metrics.inRange70to180, goal: "over 70 %", kind: "in-range" },
    { label: "Low (54-69 mg/dL)", value: metrics.below70 - metrics.below54, goal: "", kind: "low" },
    { label: "Very low (below 54 mg/dL)", value: metrics.below54, goal: "under 1 %", kind: "very-low" },
  ];
  return (
    <table class="tir" aria-label="Time in ranges" data-testid="time-in-range">
      <tbody>
        {rows.map((row) => (
          <tr key={row.kind} class={row.kind}>
            <th scope="row">{row.label}</th>
            <td>
              <meter min={0} max={100} value={row.value} aria-label={row.label} />
            </td>
            <td class="num">{percent(row.value)}</td>
            <td class="goal">{row.goal && `goal ${row.goal}`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
