// Dexcom Clarity CSV export. Times are the phone's/receiver's local clock, which follows the zone's DST,
// so each row is converted on its own (no clock-change history exists), and records stream out per row.
import { MGDL_PER_MMOLL, parseRecord, type StewardRecord } from "../../shared/records.js";
import { durationMs, num } from "./carelinkValues.js";
import { csvRows } from "./csvRows.js";
import { formatWallClock, offsetMinutesAt, wallClockToUtc } from "./timezone.js";
import {
  collectImport,
  type ImportEvent,
  type ImportInput,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
} from "./types.js";

/** Rows without a timestamp that describe the account and its alert settings. */
const IDENTITY = new Set(["FirstName", "LastName", "DateOfBirth", "Device"]);
const INTENSITY: Record<string, "low" | "medium" | "high"> = { Light: "low", Medium: "medium", Heavy: "high" };

export async function* importClarity(input: ImportInput, options: ImportOptions): AsyncGenerator<ImportEvent> {
  let header: Map<string, number> | undefined;
  let rows = 0;
  let bytes = 0;
  const identity: Record<string, string> = {};
  const identityLines: number[] = [];
  for await (const row of csvRows(input, ",")) {
    rows++;
    bytes = row.bytesDone;
    if (rows % 500 === 0)
      yield {
        kind: "progress",
        rowsDone: rows,
        bytesDone: bytes,
        ...(options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes }),
      };
    if (row.fields.every((f) => f.trim() === "")) continue;
    if (!header) {
      header = new Map(row.fields.map((h, i) => [h.trim(), i]));
      yield { kind: "skipped", line: row.line, reason: "header" };
      continue;
    }
    const cols = header;
    const get = (prefix: string) => {
      for (const [name, i] of cols) if (name.startsWith(prefix)) return row.fields[i]?.trim() || undefined;
      return undefined;
    };
    const type = get("Event Type") ?? "";
    const subtype = get("Event Subtype");
    const skip = (reason: string): ImportEvent => ({ kind: "skipped", line: row.line, reason });
    if (IDENTITY.has(type)) {
      const value = get("Patient Info") ?? get("Device Info");
      if (value) identity[type] = value;
      identityLines.push(row.line);
      continue;
    }
    if (type === "Alert") {
      yield skip("alert setting (not represented)");
      continue;
    }
    const stamp = get("Timestamp");
    const wall = stamp ? Date.parse(`${stamp.slice(0, 19)}Z`) : Number.NaN;
    if (!Number.isFinite(wall)) {
      yield skip("no readable timestamp");
      continue;
    }
    const device = get("Source Device ID") ?? "unknown";
    const deviceTime = formatWallClock(wall);
    const time = wallClockToUtc(wall, options.timeZone);
    const base = {
      time,
      deviceTime,
      timezoneOffset: offsetMinutesAt(time, options.timeZone),
      deviceId: `Dexcom-${device}`,
      source: "clarity" as const,
    };
    const id = (kind: string) => `clarity:${device}:${kind}:${deviceTime}`;
    const glucoseCell = get("Glucose Value");
    const mmol = [...cols.keys()].some((k) => k.startsWith("Glucose Value") && k.includes("mmol"));
    const glucose = () => {
      if (glucoseCell === "Low") return { mgdl: 40, outOfRange: "low" as const };
      if (glucoseCell === "High") return { mgdl: 400, outOfRange: "high" as const };
      const v = num(glucoseCell);
      return v === undefined ? undefined : { mgdl: Math.round(mmol ? v * MGDL_PER_MMOLL : v) };
    };
    let record: unknown;
    if (type === "EGV") {
      const g = glucose();
      record = g && { ...base, id: id("egv"), type: "cgm", body: { ...g, intervalMs: 300_000 } };
    } else if (type === "Calibration") {
      const g = glucose();
      record = g && {
        ...base,
        id: id("calibration"),
        type: "deviceEvent",
        body: { subType: "calibration", mgdl: g.mgdl },
      };
    } else if (type === "Carbs") {
      record = { ...base, id: id("carbs"), type: "food", body: { carbsG: num(get("Carb Value")) ?? 0 } };
    } else if (type === "Insulin" && subtype === "Fast-Acting") {
      record = {
        ...base,
        id: id("insulin"),
        type: "bolus",
        body: { subType: "normal", normal: num(get("Insulin Value")) ?? 0 },
      };
    } else if (type === "Exercise") {
      const d = durationMs(get("Duration"));
      record = {
        ...base,
        id: id("exercise"),
        type: "activity",
        body: {
          ...(subtype && INTENSITY[subtype] ? { intensity: INTENSITY[subtype] } : {}),
          ...(d !== undefined ? { durationMin: d / 60_000 } : {}),
        },
      };
    } else if (type === "Health" || type === "Note" || type === "Notes") {
      record = { ...base, id: id("note"), type: "note", body: { text: subtype ?? type } };
    } else {
      yield skip(`unsupported event type ${type}${subtype ? ` (${subtype})` : ""}`);
      continue;
    }
    if (!record) {
      yield skip("glucose event without a value");
      continue;
    }
    try {
      yield { kind: "record", record: parseRecord(record), lines: [row.line] };
    } catch (e) {
      yield skip(`invalid record: ${(e as Error).message}`);
    }
  }
  yield {
    kind: "progress",
    rowsDone: rows,
    bytesDone: Math.max(bytes, options.totalBytes ?? 0),
    ...(options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes }),
  };
  if (identityLines.length > 0) {
    const profile: StewardRecord = parseRecord({
      id: `clarity:profile:${identity.Device ?? "unknown"}`,
      type: "profile",
      time: 0,
      source: "clarity",
      body: {
        ...(identity.FirstName || identity.LastName
          ? { name: [identity.FirstName, identity.LastName].filter(Boolean).join(" ") }
          : {}),
        ...(identity.DateOfBirth ? { birthDate: identity.DateOfBirth } : {}),
        ...(identity.Device ? { identifiers: { Device: identity.Device } } : {}),
      },
    });
    yield { kind: "record", record: profile, lines: identityLines };
  }
}

export function importClarityFile(
  input: ImportInput,
  options: ImportOptions,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportResult> {
  return collectImport(importClarity(input, options), onProgress);
}
