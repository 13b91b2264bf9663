// `/api/v1/status.json`: what Nightscout apps read first (is the API on, which units, which
// thresholds, does the secret work). It names the bridge honestly and says nothing about data.
import type { Side } from "../state.js";

/** The Nightscout release whose v1 API the bridge speaks (the fields apps check). */
export const NIGHTSCOUT_API_VERSION = "15.0.2";

/** The consensus ranges (Battelino 2019): 54 / 70 / 180 / 250 mg/dL. */
const THRESHOLDS = { bgHigh: 250, bgTargetTop: 180, bgTargetBottom: 70, bgLow: 54 };

export function statusDocument(side: Side, authorized: boolean, now = Date.now()): Record<string, unknown> {
  return {
    status: "ok",
    name: "Steward bridge",
    version: NIGHTSCOUT_API_VERSION,
    serverTime: new Date(now).toISOString(),
    serverTimeEpoch: now,
    apiEnabled: true,
    careportalEnabled: side === "patient",
    boluscalcEnabled: false,
    settings: {
      units: "mg/dl",
      timeFormat: 24,
      customTitle: "Steward",
      theme: "colors",
      language: "en",
      enable: ["bgnow", "delta", "direction", "pebble", ...(side === "patient" ? ["careportal"] : [])],
      thresholds: THRESHOLDS,
      authDefaultRoles: "denied",
    },
    extendedSettings: {},
    authorized: authorized
      ? { sub: "steward-bridge", permissionGroups: [side === "patient" ? ["*"] : ["*:*:read"]] }
      : null,
    steward: { side },
  };
}
