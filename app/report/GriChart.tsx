// The Glycemia Risk Index (Klonoff 2023) with its zone chart: the hypoglycaemia component across,
// the hyperglycaemia component up, zones A (lowest risk) to E bounded by GRI 20, 40, 60 and 80,
// and this period's point on it.
import type { Gri, GriZone } from "../../client/index.js";

const ZONES: readonly GriZone[] = ["A", "B", "C", "D", "E"];
const X_MAX = 30;
const Y_MAX = 60;
const W = 200;
const H = 160;
const px = (hypo: number) => (Math.min(hypo, X_MAX) / X_MAX) * W;
const py = (hyper: number) => H - (Math.min(hyper, Y_MAX) / Y_MAX) * H;

export function GriChart({ gri }: { gri: Gri & { zone: GriZone } }) {
  const zone = gri.zone;
  const text = `GRI ${gri.gri.toFixed(1)}, zone ${zone} of A to E (A is the lowest risk): hypoglycaemia component ${gri.hypoComponent.toFixed(1)}, hyperglycaemia component ${gri.hyperComponent.toFixed(1)}.`;
  return (
    <div class="gri" data-testid="gri">
      <p>
        <strong data-testid="gri-value">GRI {gri.gri.toFixed(1)}</strong>, zone{" "}
        <strong data-testid="gri-zone">{zone}</strong>
      </p>
      <svg viewBox={`-28 -6 ${W + 40} ${H + 34}`} role="img" aria-label={text}>
        <rect class="zone-e" x={0} y={0} width={W} height={H} />
        {[80, 60, 40, 20].map((k, i) => (
          <polygon key={k} class={`zone-${"dcba"[i]}`} points={`0,${H} ${px(k / 3)},${H} 0,${py(k / 1.6)}`} />
        ))}
        {ZONES.map((z, i) => (
          <text key={z} class="zone-label" x={px((i * 20 + 10) / 3 / 2)} y={py((i * 20 + 10) / 1.6 / 2) + 4}>
            {z}
          </text>
        ))}
        <circle class="gri-point" cx={px(gri.hypoComponent)} cy={py(gri.hyperComponent)} r={5} />
        <text class="axis" x={W / 2} y={H + 26} text-anchor="middle">
          Hypoglycaemia component (%)
        </text>
        <text class="axis" x={-18} y={H / 2} text-anchor="middle" transform={`rotate(-90 -18 ${H / 2})`}>
          Hyperglycaemia (%)
        </text>
        {[0, 10, 20, 30].map((v) => (
          <text key={v} class="tick" x={px(v)} y={H + 12} text-anchor="middle">
            {v}
          </text>
        ))}
        {[0, 20, 40, 60].map((v) => (
          <text key={v} class="tick" x={-4} y={py(v) + 3} text-anchor="end">
            {v}
          </text>
        ))}
      </svg>
      <p class="chart-summary">{text}</p>
    </div>
  );
}
