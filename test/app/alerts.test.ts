// Caregiver alert levels at and around each threshold.
import { describe, expect, it } from "vitest";
import { ALERT_THRESHOLDS, alertLevel } from "../../app/alerts.js";

describe("caregiver alert levels", () => {
  it.each([
    [40, "urgent-low"],
    [ALERT_THRESHOLDS.urgentLow - 1, "urgent-low"],
    [ALERT_THRESHOLDS.urgentLow, "low"],
    [ALERT_THRESHOLDS.low - 1, "low"],
    [ALERT_THRESHOLDS.low, "in-range"],
    [ALERT_THRESHOLDS.high, "in-range"],
    [ALERT_THRESHOLDS.high + 1, "high"],
    [400, "high"],
  ])("%i mg/dL is %s", (mgdl, level) => {
    expect(alertLevel(mgdl)).toBe(level);
  });
});
