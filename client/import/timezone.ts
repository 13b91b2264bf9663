// Wall-clock <-> UTC conversion for an IANA zone using only Intl, so no tz database ships with the app.
import { MalformedInput } from "../../shared/errors.js";

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    } catch {
      throw new MalformedInput(`unknown time zone "${timeZone}": choose an IANA zone such as "Europe/Berlin"`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

const HOUR = 3_600_000;
/** Per zone, the offset (ms) of each UTC hour known to hold no transition. Bounded: cleared when full. */
const hourOffsets = new Map<string, Map<number, number>>();
const HOUR_OFFSETS_MAX = 100_000;

/** Intl's answer, to the second; the slow path (formatToParts costs microseconds per call). */
function exactOffsetMs(utcMs: number, timeZone: string): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(whole))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return (
    Date.UTC(
      parts.year ?? 1970,
      (parts.month ?? 1) - 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    ) - whole
  );
}

/**
 * The wall clock of `utcMs` in `timeZone`, expressed as if it were UTC (ms). Imports and AGPs ask
 * for every reading (tens of thousands), so an hour whose first and last second share one offset is
 * remembered: transitions are months apart, so such an hour has no transition inside.
 */
export function wallClockMs(utcMs: number, timeZone: string): number {
  let zone = hourOffsets.get(timeZone);
  if (!zone) hourOffsets.set(timeZone, (zone = new Map()));
  const hour = Math.floor(utcMs / HOUR);
  let offset = zone.get(hour);
  if (offset === undefined) {
    const start = exactOffsetMs(hour * HOUR, timeZone);
    if (start !== exactOffsetMs(hour * HOUR + HOUR - 1000, timeZone)) return utcMs + exactOffsetMs(utcMs, timeZone);
    if (zone.size >= HOUR_OFFSETS_MAX) zone.clear();
    zone.set(hour, (offset = start));
  }
  return utcMs + offset;
}

/** Minutes to add to UTC to get local time in `timeZone` at `utcMs` (Tidepool's `timezoneOffset`). */
export function offsetMinutesAt(utcMs: number, timeZone: string): number {
  return Math.round((wallClockMs(utcMs, timeZone) - utcMs) / 60_000);
}

/**
 * UTC ms of a wall-clock time (given as if it were UTC) in `timeZone`.
 * In a spring-forward gap the time is read with the offset before the change; in a fall-back
 * overlap the earlier of the two instants is chosen, as most schedulers do.
 */
export function wallClockToUtc(wallMs: number, timeZone: string): number {
  const before = offsetMinutesAt(wallMs - 86_400_000, timeZone);
  const after = offsetMinutesAt(wallMs + 86_400_000, timeZone);
  const candidates = [wallMs - before * 60_000, wallMs - after * 60_000].sort((a, b) => a - b);
  for (const utc of candidates) {
    if (wallClockMs(utc, timeZone) === wallMs) return utc;
  }
  return wallMs - before * 60_000;
}

/** "YYYY-MM-DDTHH:mm:ss" for a wall-clock ms value (the records' `deviceTime`). */
export function formatWallClock(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 19);
}
