// The period a patient's screen shows: the last day, week, two weeks, month or three months, every
// day with data, or dates of one's own. When the period holds no readings but the device has some,
// it says where they are and offers to jump there.
import { date, localDate } from "../format.js";
import { type DataExtent, latestFortnight, type Period } from "../period.js";

const LAST = [1, 7, 14, 30, 90] as const;

function value(period: Period): string {
  return period.kind === "last" ? `last-${period.days}` : period.kind;
}

/** Local midnight at the start of a "YYYY-MM-DD" date, or the last millisecond of it. */
function localDay(text: string, end: boolean): number {
  const [y, m, d] = text.split("-").map(Number) as [number, number, number];
  return end ? new Date(y, m - 1, d + 1).getTime() - 1 : new Date(y, m - 1, d).getTime();
}

interface Props {
  period: Period;
  range: { from: number; to: number };
  extent: DataExtent | undefined;
  onChange: (period: Period) => void;
}

export function PeriodPicker({ period, range, extent, onChange }: Props) {
  return (
    <div class="period-picker toolbar">
      <label class="inline">
        Period{" "}
        <select
          value={value(period)}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            if (v === "all") onChange({ kind: "all" });
            else if (v === "dates") onChange({ kind: "dates", from: range.from, to: range.to });
            else onChange({ kind: "last", days: Number(v.slice(5)) });
          }}
        >
          {LAST.map((days) => (
            <option key={days} value={`last-${days}`}>
              {days === 1 ? "Last 24 hours" : `Last ${days} days`}
            </option>
          ))}
          <option value="all">
            {extent ? `All my data (${date(extent.from)} – ${date(extent.to)})` : "All my data"}
          </option>
          <option value="dates">Choose dates…</option>
        </select>
      </label>
      {period.kind === "dates" && (
        <>
          <label class="inline">
            From{" "}
            <input
              type="date"
              required
              value={localDate(period.from)}
              onChange={(e) =>
                (e.target as HTMLInputElement).value &&
                onChange({ ...period, from: localDay((e.target as HTMLInputElement).value, false) })
              }
            />
          </label>
          <label class="inline">
            to{" "}
            <input
              type="date"
              required
              value={localDate(period.to)}
              onChange={(e) =>
                (e.target as HTMLInputElement).value &&
                onChange({ ...period, to: localDay((e.target as HTMLInputElement).value, true) })
              }
            />
          </label>
        </>
      )}
      {extent && (
        <button type="button" class="secondary" onClick={() => onChange(latestFortnight(extent))}>
          Jump to the latest data
        </button>
      )}
    </div>
  );
}

/** Said when the chosen period is empty although the device holds readings elsewhere. */
export function DataElsewhere({ extent, onChange }: { extent: DataExtent; onChange: (period: Period) => void }) {
  return (
    <div class="banner" role="status" data-testid="data-elsewhere">
      <p>
        No readings in this period. Your data runs from <strong>{date(extent.from)}</strong> to{" "}
        <strong>{date(extent.to)}</strong>.
      </p>
      <div class="actions">
        <button type="button" onClick={() => onChange(latestFortnight(extent))}>
          Show the 14 days up to {date(extent.to)}
        </button>
        <button type="button" class="secondary" onClick={() => onChange({ kind: "all" })}>
          Show all of it
        </button>
      </div>
    </div>
  );
}
