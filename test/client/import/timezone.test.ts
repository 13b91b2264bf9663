// Wall-clock conversion: the per-hour offset cache must agree with Intl at every instant, transitions included.
import { describe, expect, it } from "vitest";
import { formatWallClock, offsetMinutesAt, wallClockMs, wallClockToUtc } from "../../../client/import/timezone.js";
import { MalformedInput } from "../../../shared/errors.js";

/** Intl's own wall clock, without any cache: the reference. */
function intlWall(utcMs: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const p = Object.fromEntries(f.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

describe("wallClockMs", () => {
  it.each([
    ["Europe/Berlin", "2026-03-29T00:00:00Z"], // spring forward 01:00 UTC
    ["Europe/Berlin", "2026-10-25T00:00:00Z"], // fall back 01:00 UTC
    ["America/New_York", "2026-11-01T04:00:00Z"],
    ["Australia/Lord_Howe", "2026-10-03T15:30:00Z"], // a 30-minute DST shift, half past a UTC hour
    ["America/St_Johns", "2026-03-08T05:30:00Z"], // -03:30: transitions at half past a UTC hour
    ["Asia/Kathmandu", "1985-12-31T18:30:00Z"], // +05:30 became +05:45
  ])("%s around %s agrees with Intl every 7.5 minutes, twice (cached and not)", (zone, iso) => {
    const start = Date.parse(iso) - 6 * 3_600_000;
    for (let pass = 0; pass < 2; pass++) {
      for (let t = start; t < start + 12 * 3_600_000; t += 450_000) {
        expect(formatWallClock(wallClockMs(t + 123, zone)), new Date(t).toISOString()).toBe(intlWall(t, zone));
        expect((((wallClockMs(t + 123, zone) - t) % 1000) + 1000) % 1000).toBe(123);
      }
    }
  });

  it("round-trips through wallClockToUtc outside gaps, and names offsets in minutes", () => {
    const t = Date.parse("2026-07-04T10:00:00Z");
    expect(wallClockToUtc(wallClockMs(t, "Europe/Berlin"), "Europe/Berlin")).toBe(t);
    expect(offsetMinutesAt(t, "Europe/Berlin")).toBe(120);
    expect(offsetMinutesAt(t, "Asia/Kathmandu")).toBe(345);
  });

  it("refuses an unknown zone with MalformedInput", () => {
    expect(() => wallClockMs(0, "Mars/Olympus_Mons")).toThrow(MalformedInput);
  });
});
