// iglu's computed metrics for the cgmquantify Clarity file (`expected_consensus_metrics_by_iglu.csv`):
// one header row and one row of numbers, read as column name -> value.
export function parseIgluExpected(text: string): Record<string, number> {
  const [head, row] = text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(",").map((c) => c.replace(/"/g, "")));
  return Object.fromEntries((head ?? []).map((h, i) => [h, Number(row?.[i])]));
}
