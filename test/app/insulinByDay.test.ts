// Insulin per local day: bolus parts summed, pump totals kept per kind.
import { describe, expect, it } from "vitest";
import { insulinByDay } from "../../app/insulinByDay.js";
import type { StewardRecord } from "../../shared/records.js";

describe("insulin by day", () => {
  it("sums normal and extended bolus parts per day and keeps the pump's daily totals", () => {
    const day = new Date(2026, 10, 20, 8).getTime();
    const records: StewardRecord[] = [
      { id: "b1", type: "bolus", time: day, body: { subType: "normal", normal: 4 } },
      { id: "b2", type: "bolus", time: day + 4 * 3_600_000, body: { subType: "dual/square", normal: 2, extended: 1.5 } },
      { id: "b3", type: "bolus", time: day + 24 * 3_600_000, body: { subType: "normal", normal: 3 } },
      { id: "t1", type: "insulinTotal", time: day, body: { day: "2026-11-20", kind: "total", units: 31.5 } },
    ];
    const days = insulinByDay(records);
    expect([...days.keys()]).toEqual(["2026-11-20", "2026-11-21"]);
    expect(days.get("2026-11-20")).toEqual({ bolus: 7.5, boluses: 2, totals: { total: 31.5 } });
    expect(days.get("2026-11-21")).toEqual({ bolus: 3, boluses: 1, totals: {} });
  });
});
