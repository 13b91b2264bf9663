// Medtronic CareLink CSV importer: detects the legacy (`Raw-Type`) or current (`-------` sections) export,
// parses it as a stream with progress, and emits records once the file's clock history is known (UTC is
// reconstructed backwards from the newest row, so records cannot be placed before the end of the file).
// The work after reading pauses every ROWS_PER_STEP rows with a progress event, so a caller that yields
// to the event loop on progress (importFile) never blocks a page for the whole file.
import { parseRecord } from "../../shared/records.js";
import { legacyDrafts } from "./carelinkLegacy.js";
import { currentDrafts, type Section } from "./carelinkCurrent.js";
import { modelNumber } from "./carelinkValues.js";
import { ClockModel } from "./clock.js";
import { csvRows, type CsvRow } from "./csvRows.js";
import { finalize, type PlacedRecord, type Steps } from "./drafts.js";
import {
  collectImport,
  type ImportEvent,
  type ImportInput,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
  type SkippedRow,
} from "./types.js";

const PROGRESS_EVERY = 500;
/** A legacy preamble row naming the pump: it becomes every record's deviceId, not a record of its own. */
export const DEVICE_ROW = "pump model and serial (kept as each record's device id)";

/** Streams a CareLink export: progress while reading, then records and skipped rows. */
export async function* importCareLink(input: ImportInput, options: ImportOptions): AsyncGenerator<ImportEvent> {
  const skipped: SkippedRow[] = [];
  const preamble: CsvRow[] = [];
  const sections: Section[] = [];
  let legacy: { header: string[]; rows: CsvRow[] } | undefined;
  let current: Section | undefined;
  let pendingKind: Section["kind"] | undefined;
  let rows = 0;
  let bytes = 0;
  const progress = (): Extract<ImportEvent, { kind: "progress" }> => ({
    kind: "progress",
    rowsDone: rows,
    bytesDone: bytes,
    ...(options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes }),
  });

  for await (const row of csvRows(input)) {
    rows++;
    bytes = row.bytesDone;
    if (rows % PROGRESS_EVERY === 0) yield progress();
    const first = row.fields[0]?.trim() ?? "";
    if (row.fields.every((f) => f.trim() === "")) continue; // blank lines separate sections; they are not rows
    if (first.startsWith("-------")) {
      const label = row.fields.slice(2).join(" ");
      pendingKind = /Aggregated/i.test(label) ? "aggregated" : /Sensor/i.test(row.fields[2] ?? "") ? "sensor" : "pump";
      skipped.push({ line: row.line, reason: "section line" });
      continue;
    }
    if (first === "Index") {
      skipped.push({ line: row.line, reason: "header" });
      if (row.fields.some((f) => f.trim() === "Raw-Type")) legacy = { header: row.fields, rows: [] };
      else {
        current = { kind: pendingKind ?? "pump", header: row.fields, rows: [] };
        sections.push(current);
      }
      continue;
    }
    if (legacy) legacy.rows.push(row);
    else if (current) current.rows.push(row);
    else preamble.push(row);
  }
  bytes = Math.max(bytes, options.totalBytes ?? 0);
  yield progress();

  const device = deviceFromPreamble(preamble, legacy, skipped);
  const parsed = yield* steps(
    legacy
      ? legacyDrafts(legacy.rows, legacy.header, device.deviceId, skipped)
      : currentDrafts(sections, device.deviceId, skipped),
    progress,
  );
  if (!legacy && sections.length === 0)
    skipped.push({ line: 1, reason: "not a CareLink export: no header row starting with Index" });

  if (legacy) {
    // Legacy rows are in upload order, which is chronological; assign clock segments by position.
    const changeLines = parsed.drafts
      .filter((d) => d.type === "deviceEvent" && "subType" in d.body && d.body.subType === "timeChange")
      .map((d) => d.line);
    for (const d of parsed.drafts) d.segment = changeLines.filter((l) => l < d.line).length;
  }
  const newest = parsed.drafts.reduce(
    (max, d) => (d.segment === parsed.changes.length ? Math.max(max, d.wall) : max),
    Number.NEGATIVE_INFINITY,
  );
  const anchor = Number.isFinite(newest) ? newest : 0;
  const clock = new ClockModel(parsed.changes, anchor, options.timeZone);
  const placed = yield* steps(
    finalize(parsed.drafts, clock, { deviceId: device.deviceId, source: "carelink" }, skipped),
    progress,
  );
  if (device.profile) placed.unshift(device.profile);
  yield { ...progress(), recordsTotal: placed.length };
  for (const { record, lines } of placed) yield { kind: "record", record, lines };
  for (const s of skipped.sort((a, b) => a.line - b.line)) yield { kind: "skipped", ...s };
}

/** Runs post-read work, passing the caller a progress event at each pause so it can yield to the event loop. */
async function* steps<T>(work: Steps<T>, progress: () => ImportEvent): AsyncGenerator<ImportEvent, T> {
  for (let step = work.next(); ; step = work.next()) {
    if (step.done) return step.value;
    yield progress();
  }
}

/** Reads a whole CareLink export into one result. */
export function importCareLinkFile(
  input: ImportInput,
  options: ImportOptions,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportResult> {
  return collectImport(importCareLink(input, options), onProgress);
}

/**
 * Device identity from the preamble. The current format's three preamble lines (name, serials, DOB)
 * become one `profile` record in the identity scope; nothing personal goes anywhere else.
 */
function deviceFromPreamble(
  preamble: CsvRow[],
  legacy: { header: string[]; rows: CsvRow[] } | undefined,
  skipped: SkippedRow[],
): { deviceId: string; profile?: PlacedRecord } {
  let model = "";
  const identityLines: number[] = [];
  let serial = "";
  const identifiers: Record<string, string> = {};
  let name: string | undefined;
  let birthDate: string | undefined;
  const labels = preamble[0]?.fields.map((f) => f.trim()) ?? [];
  for (const row of preamble) {
    const f = row.fields.map((x) => x.trim());
    if (row === preamble[0] && f[0] === "Last Name") {
      identityLines.push(row.line);
      const deviceAt = f.indexOf("Device");
      if (deviceAt >= 0) model = f[deviceAt + 1] ?? "";
      for (let i = deviceAt + 2; deviceAt >= 0 && i + 1 < f.length; i += 2)
        if (f[i] && f[i + 1]) identifiers[f[i] as string] = f[i + 1] as string;
    } else if (row === preamble[1] && labels[0] === "Last Name") {
      identityLines.push(row.line);
      const last = f[0] ?? "";
      const firstName = f[1] ?? "";
      name = [firstName, last].filter(Boolean).join(" ") || undefined;
      if (f[2]) identifiers["Patient ID"] = f[2];
      if (f[3]) identifiers["System ID"] = f[3];
      const serialAt = f.indexOf("Serial Number");
      if (serialAt >= 0) serial = f[serialAt + 1] ?? "";
    } else if (f[0] === "Patient DOB") {
      identityLines.push(row.line);
      birthDate = f[1] || undefined;
      const cgmAt = f.indexOf("CGM");
      if (cgmAt >= 0 && f[cgmAt + 1]) identifiers.CGM = f[cgmAt + 1] as string;
    } else if (f.some((x) => /Pump|Paradigm|MiniMed/.test(x)) && f.some((x) => x.startsWith("#"))) {
      // Legacy preamble device rows: "...,Paradigm Revel - 723,#1234567,...".
      model = f.find((x) => /Paradigm|MiniMed/.test(x)) ?? model;
      serial = (f.find((x) => x.startsWith("#")) ?? "").slice(1);
      skipped.push({ line: row.line, reason: DEVICE_ROW });
    } else {
      skipped.push({ line: row.line, reason: f[0] === "Data Range" ? "export date range" : "preamble note" });
    }
  }
  if (legacy && !model) {
    const col = legacy.header.findIndex((h) => h.trim() === "Raw-Device Type");
    model = legacy.rows.map((r) => r.fields[col]?.trim() ?? "").find(Boolean) ?? "";
  }
  const deviceId = ["MedT", modelNumber(model || "unknown"), serial].filter(Boolean).join("-");
  if (model) identifiers.Pump = model;
  if (serial) identifiers["Pump serial"] = serial;
  if (labels[0] !== "Last Name") return { deviceId };
  const record = parseRecord({
    id: `${deviceId}:profile`,
    type: "profile",
    // Identity records are not a time series; they all live at time 0.
    time: 0,
    deviceId,
    source: "carelink",
    body: { ...(name ? { name } : {}), ...(birthDate ? { birthDate } : {}), identifiers },
  });
  return { deviceId, profile: { record, lines: identityLines } };
}
