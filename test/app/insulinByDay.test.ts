// Insulin per patient-local day: bolus parts summed, basal from the pump's totals or its deliveries.
import { describe, expect, it } from "vitest";
import { insulinByDay } from "../../app/insulinByDay.js";
import type { StewardRecord } from "../../shared/records.js";

const utcDay = (time: number) => new Date(time).toISOString().slice(0, 10);

describe("insulin by day", () => {
  const day = Date.UTC(2026, 10, 20, 8);
  it("sums normal and extended bolus parts per day and takes basal and total from the pump's daily totals", () => {
    const records: StewardRecord[] = [
      { id: "b1", type: "bolus", time: day, body: { subType: "normal", normal: 4 } },
      {
        id: "b2",
        type: "bolus",
        time: day + 4 * 3_600_000,
        body: { subType: "dual/square", normal: 2, extended: 1.5 },
      },
      { id: "b3", type: "bolus", time: day + 24 * 3_600_000, body: { subType: "normal", normal: 3 } },
      { id: "t1", type: "insulinTotal", time: day, body: { day: "2026-11-20", kind: "autoBasal", units: 14 } },
    ];
    expect(insulinByDay(records, utcDay)).toEqual([
      { day: "2026-11-20", bolus: 7.5, boluses: 2, basal: 14, total: 21.5 },
      { day: "2026-11-21", bolus: 3, boluses: 1 },
    ]);
  });

  it("sums basal deliveries by rate and duration when the pump gives no totals, and keeps a reported total", () => {
    const records: StewardRecord[] = [
      {
        id: "s1",
        type: "basal",
        time: day,
        body: { deliveryType: "scheduled", rate: 0.8, durationMs: 10 * 3_600_000 },
      },
      {
        id: "s2",
        type: "basal",
        time: day + 10 * 3_600_000,
        body: { deliveryType: "temp", rate: 0.4, durationMs: 5 * 3_600_000 },
      },
      { id: "b1", type: "bolus", time: day, body: { subType: "normal", normal: 5 } },
      { id: "t1", type: "insulinTotal", time: day, body: { day: "2026-11-20", kind: "total", units: 16 } },
    ];
    expect(insulinByDay(records, utcDay)).toEqual([{ day: "2026-11-20", bolus: 5, boluses: 1, basal: 10, total: 16 }]);
  });

  it("runs a rate without a duration until the next basal record (CareLink's scheduled rates)", () => {
    const records: StewardRecord[] = [
      { id: "s1", type: "basal", time: Date.UTC(2026, 10, 20, 0), body: { deliveryType: "scheduled", rate: 0.5 } },
      { id: "s2", type: "basal", time: Date.UTC(2026, 10, 20, 6), body: { deliveryType: "scheduled", rate: 1 } },
      { id: "s3", type: "basal", time: Date.UTC(2026, 10, 20, 22), body: { deliveryType: "scheduled", rate: 0.5 } },
      { id: "s4", type: "basal", time: Date.UTC(2026, 10, 21, 0), body: { deliveryType: "scheduled", rate: 0.5 } },
    ];
    expect(insulinByDay(records, utcDay)[0]).toEqual({
      day: "2026-11-20",
      bolus: 0,
      boluses: 0,
      basal: 0.5 * 6 + 16 + 0.5 * 2,
      total: 20,
    });
  });
});
