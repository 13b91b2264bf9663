// The period the patient's screens show: the last days up to now, every day with data, a custom
// range of dates, or the days up to the latest data. Kept while the app is open, so the dashboard
// and the report show the same period.
import { useEffect, useState } from "preact/hooks";
import { MS_PER_HOUR, type RecordStore } from "../client/index.js";
import { TIME } from "./format.js";

export type Period = { kind: "last"; days: number } | { kind: "all" } | { kind: "dates"; from: number; to: number };

export interface DataExtent {
  from: number;
  to: number;
}

let remembered: Period = { kind: "last", days: 14 };
const listeners = new Set<(p: Period) => void>();

export function usePeriod(): [Period, (p: Period) => void] {
  const [period, setPeriod] = useState(remembered);
  useEffect(() => {
    listeners.add(setPeriod);
    return () => void listeners.delete(setPeriod);
  }, []);
  return [
    period,
    (p: Period) => {
      remembered = p;
      for (const l of listeners) l(p);
    },
  ];
}

/** The period's bounds, ms UTC; "now" is the next full hour so the range stays put while the screen is open. */
export function periodRange(
  period: Period,
  extent: DataExtent | undefined,
  now = Date.now(),
): { from: number; to: number } {
  const end = Math.ceil(now / TIME.HOUR) * TIME.HOUR;
  if (period.kind === "last") return { from: end - period.days * TIME.DAY, to: end };
  if (period.kind === "all")
    return extent ? { from: extent.from, to: extent.to } : { from: end - 14 * TIME.DAY, to: end };
  return { from: period.from, to: period.to };
}

/** The 14 days up to the latest data (midnight to midnight on this device's calendar). */
export function latestFortnight(extent: DataExtent): Period {
  const last = new Date(extent.to);
  const to = new Date(last.getFullYear(), last.getMonth(), last.getDate() + 1).getTime() - 1;
  return { kind: "dates", from: new Date(last.getFullYear(), last.getMonth(), last.getDate() - 13).getTime(), to };
}

/** How long the data's extent may lag behind writes (an import writes many times a second). */
const EXTENT_MS = 3_000;

/** From the first to the last hour with glucose on this device, re-read when data arrives. */
export function useDataExtent(records: RecordStore): DataExtent | undefined {
  const [extent, setExtent] = useState<DataExtent | undefined>(undefined);
  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = () =>
      void records.extent("glucose").then((e) => {
        if (current) setExtent(e && { from: e.fromHour * MS_PER_HOUR, to: (e.toHour + 1) * MS_PER_HOUR - 1 });
      });
    read();
    const unsubscribe = records.subscribe(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        read();
      }, EXTENT_MS);
    });
    return () => {
      current = false;
      if (timer) clearTimeout(timer);
      unsubscribe();
    };
  }, [records]);
  return extent;
}
