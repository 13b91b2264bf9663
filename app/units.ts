// Glucose as each person reads it: mg/dL or mmol/L (one decimal), chosen per device and kept in
// localStorage (a display preference, not health data). Values stay mg/dL everywhere else.
import { useEffect, useState } from "preact/hooks";
import { MGDL_PER_MMOLL } from "../client/index.js";

export type GlucoseUnit = "mg/dL" | "mmol/L";
export const GLUCOSE_UNITS: readonly GlucoseUnit[] = ["mg/dL", "mmol/L"];

const KEY = "steward.glucoseUnit";
const listeners = new Set<(unit: GlucoseUnit) => void>();

function stored(): GlucoseUnit {
  try {
    return localStorage.getItem(KEY) === "mmol/L" ? "mmol/L" : "mg/dL";
  } catch {
    return "mg/dL";
  }
}

export function setGlucoseUnit(unit: GlucoseUnit): void {
  try {
    localStorage.setItem(KEY, unit);
  } catch {
    // Private mode without storage: the choice lasts while the page is open.
  }
  for (const l of listeners) l(unit);
}

export function useGlucoseUnit(): GlucoseUnit {
  const [unit, setUnit] = useState(stored);
  useEffect(() => {
    listeners.add(setUnit);
    return () => void listeners.delete(setUnit);
  }, []);
  return unit;
}

/** The number alone: "154" or "8.5". */
export function glucoseValue(mgdl: number, unit: GlucoseUnit): string {
  return unit === "mg/dL" ? String(Math.round(mgdl)) : (mgdl / MGDL_PER_MMOLL).toFixed(1);
}

/** "154 mg/dL" or "8.5 mmol/L". */
export function glucose(mgdl: number, unit: GlucoseUnit): string {
  return `${glucoseValue(mgdl, unit)} ${unit}`;
}

/** A value on the chosen scale, for chart axes (mg/dL stays as is). */
export function toUnit(mgdl: number, unit: GlucoseUnit): number {
  return unit === "mg/dL" ? mgdl : mgdl / MGDL_PER_MMOLL;
}
