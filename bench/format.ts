// Human-readable numbers for the benchmark table. KB and MB are powers of ten, as the targets are.
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  return `${Math.round(value).toLocaleString("en-US")} ms`;
}

export function bytes(value: number): string {
  if (value < 1_000) return `${value} B`;
  if (value < 1_000_000) return `${(value / 1_000).toFixed(1)} KB`;
  return `${(value / 1_000_000).toFixed(2)} MB`;
}

export function rate(perSecond: number, unit: string): string {
  const rounded = perSecond >= 100 ? Math.round(perSecond).toLocaleString("en-US") : perSecond.toFixed(1);
  return `${rounded} ${unit}/s`;
}

/** Steward's figure divided by the peer's, e.g. "2.4×". */
export function ratio(steward: number, peer: number): string {
  if (!Number.isFinite(steward) || !Number.isFinite(peer) || peer === 0) return "—";
  const r = steward / peer;
  return `${r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toFixed(3)}×`;
}

export function count(value: number): string {
  return value.toLocaleString("en-US");
}
