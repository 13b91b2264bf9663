// The consensus CGM metrics (Battelino 2019) for a period, with time in ranges.
import type { ConsensusMetrics } from "../../client/metrics/consensus.js";
import { date, mgdl, percent } from "../format.js";
import { TimeInRange } from "./TimeInRange.js";

export function MetricsPanel({ metrics }: { metrics: ConsensusMetrics | null }) {
  if (!metrics) return <p class="empty">No glucose readings in this period.</p>;
  return (
    <section class="metrics" aria-label="Glucose metrics" data-testid="metrics">
      <dl>
        <div>
          <dt>Period</dt>
          <dd>
            {date(metrics.start)} – {date(metrics.end)} ({metrics.days.toFixed(1)} days)
          </dd>
        </div>
        <div>
          <dt>Time CGM active</dt>
          <dd>{percent(metrics.activePercent)}</dd>
        </div>
        <div>
          <dt>Mean glucose</dt>
          <dd data-testid="mean-glucose">{mgdl(metrics.mean)}</dd>
        </div>
        <div>
          <dt>GMI</dt>
          <dd>{metrics.gmi.toFixed(1)} %</dd>
        </div>
        <div>
          <dt>Glucose variability (CV)</dt>
          <dd>{Number.isFinite(metrics.cv) ? percent(metrics.cv) : "–"}</dd>
        </div>
        <div>
          <dt>Readings</dt>
          <dd>{metrics.readings}</dd>
        </div>
      </dl>
      <TimeInRange metrics={metrics} />
    </section>
  );
}
