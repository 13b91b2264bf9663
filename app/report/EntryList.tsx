// Meals, exercise and notes of a period, newest first, as plain sentences.
import { memo } from "preact/compat";
import type { StewardRecord } from "../../client/index.js";
import { dateTime } from "../format.js";

function describe(record: StewardRecord): string {
  switch (record.type) {
    case "food":
      return [
        `Meal${record.body.meal ? ` (${record.body.meal})` : ""}`,
        record.body.name,
        record.body.carbsG !== undefined ? `${record.body.carbsG} g carbs` : undefined,
      ]
        .filter(Boolean)
        .join(": ");
    case "activity":
      return [
        `Exercise${record.body.activityType ? `: ${record.body.activityType}` : ""}`,
        record.body.durationMin !== undefined ? `${record.body.durationMin} min` : undefined,
        record.body.intensity ? `${record.body.intensity} intensity` : undefined,
      ]
        .filter(Boolean)
        .join(", ");
    case "note":
      return `Note: ${record.body.text}`;
    default:
      return record.type;
  }
}

// Memoised: the report re-renders on every sync status and unit change, and this part is long.
export const EntryList = memo(function EntryList({
  records,
  timeZone,
}: {
  records: readonly StewardRecord[];
  timeZone?: string;
}) {
  if (records.length === 0) return <p class="empty">No meals, exercise or notes in this period.</p>;
  return (
    <ul class="entries" data-testid="entries">
      {[...records].reverse().map((r) => (
        <li key={r.id}>
          <time dateTime={new Date(r.time).toISOString()}>{dateTime(r.time, timeZone)}</time> — {describe(r)}
        </li>
      ))}
    </ul>
  );
});
