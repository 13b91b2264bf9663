// The dashboard's summary of a period: mean glucose, GMI, variability and CGM time, with the time
// in ranges bar; the full AGP report is a tab away.
import type { ConsensusMetrics } from "../../client/index.js";
import { date, percent } from "../format.js";
import { TimeInRangeBar } from "../report/TimeInRangeBar.js";
import { type GlucoseUnit, glucose } from "../units.js";

export function MetricsPanel({ metrics, unit }: { metrics: ConsensusMetrics | null; unit: GlucoseUnit }) {
  if (!metrics) return null;
  return (
    <section class="metrics" aria-label="Glucose metrics" data-testid="metrics">
      <dl class="stat-list">
        <div>
          <dt>Readings from</dt>
          <dd>
            {date(metrics.start)} – {date(metrics.end)}
          </dd>
        </div>
        <div>
          <dt>Mean glucose</dt>
          <dd data-testid="mean-glucose">{glucose(metrics.mean, unit)}</dd>
        </div>
        <div>
          <dt>GMI</dt>
          <dd>{metrics.gmi.toFixed(1)} %</dd>
        </div>
        <div>
          <dt>Variability (CV)</dt>
          <dd>{Number.isFinite(metrics.cv) ? percent(metrics.cv) : "–"}</dd>
        </div>
        <div>
          <dt>CGM active</dt>
          <dd>{percent(metrics.activePercent)}</dd>
        </div>
      </dl>
      <TimeInRangeBar metrics={metrics} unit={unit} />
    </section>
  );
}
