// Countdowns and ages as people read them.
import { describe, expect, it } from "vitest";
import { ago, date, dateTime, dayLabel, duration, TIME } from "../../app/format.js";

describe("durations", () => {
  it.each([
    [30_000, "less than a minute"],
    [45 * TIME.MINUTE, "45 min"],
    [2 * TIME.HOUR, "2 h"],
    [2 * TIME.HOUR + 5 * TIME.MINUTE, "2 h 5 min"],
    [47 * TIME.HOUR + 59 * TIME.MINUTE, "1 d 23 h"],
    [48 * TIME.HOUR, "2 d"],
  ])("%i ms reads %s", (ms, text) => {
    expect(duration(ms)).toBe(text);
  });

  it("says 'just now' for the last minute and never a negative age", () => {
    expect(ago(1_000, 30_000)).toBe("just now");
    expect(ago(10_000, 5_000)).toBe("just now");
    expect(ago(0, 3 * TIME.MINUTE)).toBe("3 min ago");
  });
});

describe("dates", () => {
  const time = Date.UTC(2026, 2, 29, 0, 30);

  it("read as the browser's own toLocaleString words, in the zone asked for", () => {
    for (const zone of ["Europe/Paris", "America/New_York", undefined]) {
      const inZone = zone ? { timeZone: zone } : {};
      expect(dateTime(time, zone)).toBe(
        new Date(time).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short", ...inZone }),
      );
      expect(date(time, zone)).toBe(new Date(time).toLocaleDateString(undefined, { dateStyle: "medium", ...inZone }));
    }
    expect(dateTime(time, "Europe/Paris")).not.toBe(dateTime(time, "America/New_York"));
    expect(dayLabel("2026-03-29")).toBe(
      new Date(time).toLocaleDateString(undefined, {
        weekday: "short",
        day: "numeric",
        month: "short",
        timeZone: "UTC",
      }),
    );
  });

  it("say 'Invalid Date' for a day or time that is none, instead of failing the screen", () => {
    expect(dayLabel("2026-13-45")).toBe("Invalid Date");
    expect(dateTime(Number.NaN)).toBe("Invalid Date");
    expect(date(1e20, "UTC")).toBe("Invalid Date");
  });
});
