// Caregiver alerts, computed on the caregiver's own device from the latest reading: the server
// never sees a value, so it could not send them.
export type AlertLevel = "urgent-low" | "low" | "in-range" | "high";

/** Common caregiver defaults (Dexcom Follow's urgent low 55, low 70, high 250 mg/dL). */
export const ALERT_THRESHOLDS = { urgentLow: 55, low: 70, high: 250 } as const;

export function alertLevel(mgdl: number): AlertLevel {
  if (mgdl < ALERT_THRESHOLDS.urgentLow) return "urgent-low";
  if (mgdl < ALERT_THRESHOLDS.low) return "low";
  if (mgdl > ALERT_THRESHOLDS.high) return "high";
  return "in-range";
}

export const ALERT_TEXT: Record<AlertLevel, string> = {
  "urgent-low": "Urgent low",
  low: "Low",
  "in-range": "In range",
  high: "High",
};
