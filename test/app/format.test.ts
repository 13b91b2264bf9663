// Countdowns and ages as people read them.
import { describe, expect, it } from "vitest";
import { ago, duration, TIME } from "../../app/format.js";

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
