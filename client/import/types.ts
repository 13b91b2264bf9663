// The shape every importer shares: a stream of events, and the collected result.
import type { StewardRecord } from "../../shared/records.js";

/** A whole file, or a byte/text stream of it (browser `File.stream()`, Node `Readable`, fetch body). */
export type ImportInput = string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

export interface ImportOptions {
  /** The IANA zone the device clock was set to (the user chooses it; exports carry no offset). */
  timeZone: string;
  /** File size, echoed in progress events so a UI can draw a bar. */
  totalBytes?: number;
}

/** A source row that produced no record, and why. `line` is 1-based in the file. */
export interface SkippedRow {
  line: number;
  reason: string;
}

export interface ImportProgress {
  rowsDone: number;
  bytesDone: number;
  totalBytes?: number;
  /** How many records the import will emit in all, once the importer knows (CareLink, after reading). */
  recordsTotal?: number;
}

export type ImportEvent =
  /** `lines`: the source rows the record was made from (1-based), so every row is accounted for. */
  | { kind: "record"; record: StewardRecord; lines: readonly number[] }
  | ({ kind: "skipped" } & SkippedRow)
  | ({ kind: "progress" } & ImportProgress);

export interface ImportResult {
  records: StewardRecord[];
  skipped: SkippedRow[];
  /** Source rows read (CSV records or JSON documents), including skipped ones. */
  rows: number;
}

/** Drains an import stream into one result, passing progress to `onProgress`. */
export async function collectImport(
  events: AsyncIterable<ImportEvent>,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportResult> {
  const result: ImportResult = { records: [], skipped: [], rows: 0 };
  for await (const e of events) {
    if (e.kind === "record") result.records.push(e.record);
    else if (e.kind === "skipped") result.skipped.push({ line: e.line, reason: e.reason });
    else {
      result.rows = e.rowsDone;
      const { kind: _kind, ...progress } = e;
      onProgress?.(progress);
    }
  }
  result.skipped.sort((a, b) => a.line - b.line);
  return result;
}
