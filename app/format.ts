// How times, durations, categories and glucose read on screen.
import { SCOPE_LABELS, type Scope } from "../client/index.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "2 d 3 h", "45 min", "less than a minute". */
export function duration(ms: number): string {
  if (ms < MINUTE) return "less than a minute";
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  return `${minutes} min`;
}

/** "3 min ago" for a past time. */
export function ago(time: number, now = Date.now()): string {
  const ms = Math.max(0, now - time);
  return ms < MINUTE ? "just now" : `${duration(ms)} ago`;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * `time` in the browser's words for these options, with a formatter made once: toLocaleString
 * builds a new one on every call (tens of microseconds), and a report formats one per day and
 * per entry. A time that is no date reads "Invalid Date", as toLocaleString says it. Without a
 * `timeZone` it is the device's zone when first asked.
 */
function formatted(name: string, options: Intl.DateTimeFormatOptions, time: number, timeZone?: string): string {
  if (Number.isNaN(new Date(time).getTime())) return "Invalid Date";
  const key = `${name} ${timeZone ?? ""}`;
  let format = formats.get(key);
  if (!format)
    formats.set(key, (format = new Intl.DateTimeFormat(undefined, timeZone ? { ...options, timeZone } : options)));
  return format.format(time);
}

/** Date and time on this device's clock, or in `timeZone` (a report shows the patient's). */
export function dateTime(time: number, timeZone?: string): string {
  return formatted("dateTime", { dateStyle: "medium", timeStyle: "short" }, time, timeZone);
}

export function date(time: number, timeZone?: string): string {
  return formatted("date", { dateStyle: "medium" }, time, timeZone);
}

/** "Mon 17 Nov" for a calendar day "YYYY-MM-DD". */
export function dayLabel(day: string): string {
  const noon = Date.parse(`${day}T12:00:00Z`);
  return formatted("dayLabel", { weekday: "short", day: "numeric", month: "short" }, noon, "UTC");
}

/** "16 h 48 min" of a day for a share of it in percent (how the AGP states goals). */
export function perDay(percentOfDay: number): string {
  const minutes = Math.round((percentOfDay / 100) * 1440);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}

/** "07:30" for minutes after midnight. */
export function clockTime(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60) % 24).padStart(2, "0")}:${String(Math.round(minuteOfDay) % 60).padStart(2, "0")}`;
}

export function percent(value: number): string {
  return `${value.toFixed(value < 10 ? 1 : 0)} %`;
}

export function mgdl(value: number): string {
  return `${Math.round(value)} mg/dL`;
}

/** "YYYY-MM-DD" of this browser's local calendar (also what a date input holds). */
export function localDate(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export const TIME = { MINUTE, HOUR, DAY } as const;

/** "glucose readings, insulin and device alerts and alarms": categories inside a sentence. */
export function scopeNames(scopes: readonly Scope[]): string {
  const names = scopes.map((s) => (SCOPE_LABELS[s] ?? s).replace(/ \(.*\)$/, "").toLowerCase());
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : (names[0] ?? "nothing");
}
