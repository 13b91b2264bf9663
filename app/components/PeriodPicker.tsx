// The period a screen shows, as a labelled select: last day, week, two weeks, month, three months.
export const PERIODS = [
  { days: 1, label: "Last 24 hours" },
  { days: 7, label: "Last 7 days" },
  { days: 14, label: "Last 14 days" },
  { days: 30, label: "Last 30 days" },
  { days: 90, label: "Last 90 days" },
] as const;

export function PeriodPicker({ days, onChange }: { days: number; onChange: (days: number) => void }) {
  return (
    <label class="period">
      Period{" "}
      <select value={String(days)} onChange={(e) => onChange(Number((e.target as HTMLSelectElement).value))}>
        {PERIODS.map((p) => (
          <option key={p.days} value={String(p.days)}>
            {p.label}
          </option>
        ))}
      </select>
    </label>
  );
}
