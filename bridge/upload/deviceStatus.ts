// Nightscout `devicestatus` (uploader and pump batteries, reservoir, insulin and carbs on board,
// the loop's last decision) as one status event in the alerts scope: a caregiver granted alerts
// sees it, and a suspended pump is marked as such.
import type { NightscoutSkip, StewardRecord } from "../../client/index.js";

type Doc = Record<string, unknown>;

const object = (v: unknown): Doc | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Doc) : undefined;
const number = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const path = (doc: Doc | undefined, ...keys: string[]): unknown =>
  keys.reduce<unknown>((at, k) => object(at)?.[k], doc);
const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** What the status says, as short phrases; empty when it says nothing Steward keeps. */
function phrases(doc: Doc): string[] {
  const out: string[] = [];
  const uploader = number(path(doc, "uploader", "battery")) ?? number(doc.uploaderBattery);
  if (uploader !== undefined) out.push(`uploader battery ${round(uploader, 0)} %`);
  const pumpPercent = number(path(doc, "pump", "battery", "percent"));
  const pumpVoltage = number(path(doc, "pump", "battery", "voltage"));
  if (pumpPercent !== undefined) out.push(`pump battery ${round(pumpPercent, 0)} %`);
  else if (pumpVoltage !== undefined) out.push(`pump battery ${round(pumpVoltage, 2)} V`);
  const reservoir = number(path(doc, "pump", "reservoir"));
  if (reservoir !== undefined) out.push(`reservoir ${round(reservoir, 1)} U`);
  const iob =
    number(path(doc, "openaps", "iob", "iob")) ??
    number(path(doc, "loop", "iob", "iob")) ??
    number(path(doc, "pump", "iob", "bolusiob"));
  if (iob !== undefined) out.push(`insulin on board ${round(iob, 2)} U`);
  const cob = number(path(doc, "loop", "cob", "cob")) ?? number(path(doc, "openaps", "suggested", "COB"));
  if (cob !== undefined) out.push(`carbs on board ${round(cob, 0)} g`);
  const status = path(doc, "pump", "status", "status");
  if (typeof status === "string" && status.trim()) out.push(`pump ${status.trim()}`);
  const reason = path(doc, "openaps", "enacted", "reason") ?? path(doc, "loop", "enacted", "reason");
  if (typeof reason === "string" && reason.trim()) out.push(`loop: ${reason.trim()}`);
  return out;
}

/**
 * One status record, or why there is none. Nightscout dates a status without a readable
 * `created_at` at its arrival (`now`); `id` names the record from its time and device.
 */
export function deviceStatusRecord(
  doc: Doc,
  now: number,
  id: (time: number, device: string) => string,
): unknown[] | NightscoutSkip {
  const parsed = typeof doc.created_at === "string" ? Date.parse(doc.created_at) : Number.NaN;
  const time = Number.isFinite(parsed) && parsed > 0 ? parsed : now;
  const device = typeof doc.device === "string" && doc.device.trim() ? doc.device.trim().slice(0, 200) : "unknown";
  const said = phrases(doc);
  if (said.length === 0)
    return {
      reason: "a device status with nothing Steward keeps (no batteries, reservoir, insulin or carbs on board)",
      invalid: false,
    };
  const suspended = path(doc, "pump", "status", "suspended");
  const record: Omit<StewardRecord, "body"> & { body: unknown } = {
    id: id(time, device),
    type: "deviceEvent",
    time,
    deviceId: device,
    source: "nightscout",
    body: {
      subType: "status",
      reason: "device status",
      text: said.join("; ").slice(0, 2000),
      ...(typeof suspended === "boolean" ? { status: suspended ? "suspended" : "resumed" } : {}),
    },
  };
  return [record];
}
