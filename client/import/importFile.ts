// What the web app calls when a person picks an export: detect the format, stream it through its
// importer in chunks, write the records into the encrypted store in batches (one envelope per shard
// per batch), skip what is already stored, and report progress, yielding to the event loop between
// chunks and batches so a 90-day export never freezes the page.
import type { RecordStore } from "../store/recordStore.js";
import { MalformedInput } from "../../shared/errors.js";
import { hourOf, SCOPE_OF, type Scope, type StewardRecord } from "../../shared/records.js";
import { importCareLink } from "./carelink.js";
import { importClarity } from "./clarity.js";
import { mergeAcrossSources, type MergedReadings } from "./crossSource.js";
import { DETECT_BYTES, detectFormat, type ImportFormat } from "./detect.js";
import { importNightscout } from "./nightscout.js";
import type { ImportEvent, ImportInput, ImportOptions, SkippedRow } from "./types.js";

/** A browser `File` fits; in Node, anything with a name and `text()` or `stream()`. */
export interface ImportFile {
  readonly name: string;
  /** Bytes; with it, progress follows the share of the file read. */
  readonly size?: number;
  stream?(): ReadableStream<Uint8Array>;
  text?(): Promise<string>;
}

/** What an import is busy with: reading the file, turning rows into records, encrypting, storing. */
export type ImportPhase = "read" | "parse" | "encrypt" | "store";

export interface ImportFileProgress {
  phase: ImportPhase;
  /** Share of the file's bytes read, 0 to 1 (0 while the size is unknown). */
  bytesFraction: number;
  /** Source rows (CSV lines, JSON array items) read so far, skipped ones included. */
  rowsRead: number;
  /** Records the file yielded so far, and (CareLink, once read) how many it will yield in all. */
  recordsRead: number;
  recordsTotal?: number;
  /** Records encrypted into envelopes, and stored on this device, so far (re-imported ones count as stored). */
  recordsEncrypted: number;
  recordsStored: number;
  /** Known once the whole file is read. */
  rowsTotal?: number;
  /** Records new or changed in the store so far. */
  recordsWritten: number;
  /** 0 to 1, never decreasing; exactly 1 once, at the end. */
  fraction: number;
}

export interface ImportFileOptions {
  /** The export's format; detected from the content when absent. */
  readonly source?: ImportFormat;
  /** The IANA zone the device clock was set to. */
  readonly timeZone: string;
  readonly onProgress?: (progress: ImportFileProgress) => void;
  /** Aborting stops between chunks or batches; what was written stays, and a re-import completes it. */
  readonly signal?: AbortSignal;
  /** Records per store write (default 2000). */
  readonly batchSize?: number;
}

export interface ImportSummary {
  readonly format: ImportFormat;
  readonly rowsRead: number;
  /** Records the file yielded. */
  readonly recordsRead: number;
  /** Records that were new or differed from the stored ones. */
  readonly recordsWritten: number;
  /** Records already stored exactly so (a re-import), repeated within the file, or merged into another source's. */
  readonly duplicates: number;
  /** Every row that produced no record, by line (JSON: array position), with the reason. */
  readonly skipped: readonly SkippedRow[];
  /** Readings this file shared with another source already stored, kept once (see crossSource.ts). */
  readonly merged: readonly MergedReadings[];
  /**
   * The zone device times were read in. `assumed`: the format carries no offsets (CareLink, Clarity),
   * so every record was placed in it; otherwise only entries without an offset were.
   */
  readonly timeZone: { readonly zone: string; readonly assumed: boolean };
}

export interface Importer {
  read(input: ImportInput, options: ImportOptions): AsyncGenerator<ImportEvent>;
  /** Records come only after the whole file is read (CareLink places UTC from the newest row back). */
  readonly recordsAtEnd: boolean;
  /** The format gives device wall-clock times only, so the chosen zone places every record. */
  readonly wallClockOnly: boolean;
}
export const IMPORTERS: Record<ImportFormat, Importer> = {
  "carelink-legacy": { read: importCareLink, recordsAtEnd: true, wallClockOnly: true },
  "carelink-current": { read: importCareLink, recordsAtEnd: true, wallClockOnly: true },
  clarity: { read: importClarity, recordsAtEnd: false, wallClockOnly: true },
  nightscout: { read: importNightscout, recordsAtEnd: false, wallClockOnly: false },
};
/** Shares of the progress bar: reading the file, placing records (CareLink, after reading), encrypting and storing. */
const WEIGHT = { read: 0.2, parse: 0.1, store: 0.7 } as const;
const TEXT_CHUNK = 16 * 1024;
/** Zones differ by whole quarter hours: a smaller move of a record is not a change of zone. */
const ZONE_STEP = 15 * 60_000;
/** UTC-12 to UTC+14: how far another time zone can move a device-clock reading. */
const MAX_ZONE_SHIFT = 26 * 3_600_000;

export async function importFile(
  records: RecordStore,
  file: ImportFile,
  options: ImportFileOptions,
): Promise<ImportSummary> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const { head, chunks, size } = await openChunks(file);
  const format = options.source ?? detectFormat(head, file.name);
  const importer = IMPORTERS[format];
  const skipped: SkippedRow[] = [];
  let batch: StewardRecord[] = [];
  let rowsRead = 0;
  let readFraction = 0;
  let recordsRead = 0;
  let recordsWritten = 0;
  let recordsEncrypted = 0;
  let recordsStored = 0;
  let recordsTotal: number | undefined;
  let fraction = 0;
  let phase: ImportPhase = "read";

  const report = (done = false) => {
    // Streaming importers parse as they read: their records stored follow the share of the file read.
    const parsed = importer.recordsAtEnd ? (recordsTotal ? recordsRead / recordsTotal : 0) : readFraction;
    const stored = importer.recordsAtEnd
      ? recordsTotal
        ? recordsStored / recordsTotal
        : 0
      : readFraction * (recordsRead > 0 ? recordsStored / recordsRead : 0);
    const now = WEIGHT.read * readFraction + WEIGHT.parse * parsed + WEIGHT.store * stored;
    fraction = done ? 1 : Math.min(Math.max(fraction, now), 0.99);
    options.onProgress?.({
      phase,
      bytesFraction: readFraction,
      rowsRead,
      recordsRead,
      ...(recordsTotal === undefined ? {} : { recordsTotal }),
      recordsEncrypted,
      recordsStored,
      ...(done ? { rowsTotal: rowsRead } : {}),
      recordsWritten,
      fraction,
    });
  };
  const merged = new Map<string, MergedReadings>();
  const flush = async () => {
    if (batch.length === 0) return;
    const fresh = await notYetStored(records, batch, file.name);
    const known = batch.length - fresh.length;
    batch = [];
    const { write, merged: now } = await mergeAcrossSources(records, fresh);
    for (const m of now) {
      const key = `${m.type}:${m.kept}:${m.dropped}`;
      merged.set(key, { ...m, readings: (merged.get(key)?.readings ?? 0) + m.readings });
    }
    // Already stored, or another source's copy of a reading kept instead: nothing to encrypt.
    recordsEncrypted += known + fresh.length - write.length;
    recordsStored += known + fresh.length - write.length;
    if (write.length > 0) {
      await records.put(write, (p) => {
        phase = p.phase;
        if (p.phase === "encrypt") recordsEncrypted += p.records;
        else recordsStored += p.records;
        report();
      });
    }
    recordsWritten += write.length;
    // The phase stays what the batch ended in until the next event: each batch's storing is shown.
    report();
    await nextTask();
    signal?.throwIfAborted();
  };

  for await (const event of importer.read(chunks, {
    timeZone: options.timeZone,
    ...(size === undefined ? {} : { totalBytes: size }),
  })) {
    if (event.kind === "record") {
      phase = "parse";
      recordsRead++;
      batch.push(event.record);
      if (batch.length >= (options.batchSize ?? 2000)) await flush();
    } else if (event.kind === "skipped") {
      skipped.push({ line: event.line, reason: event.reason });
    } else {
      rowsRead = event.rowsDone;
      if (event.totalBytes) readFraction = Math.min(1, event.bytesDone / event.totalBytes);
      // CareLink places its records in time after reading the whole file: that is parsing too.
      phase = readFraction < 1 ? "read" : "parse";
      recordsTotal = event.recordsTotal ?? recordsTotal;
      report();
      await nextTask();
      signal?.throwIfAborted();
    }
  }
  await flush();
  phase = "store";
  report(true);
  return {
    format,
    rowsRead,
    recordsRead,
    recordsWritten,
    duplicates: recordsRead - recordsWritten,
    skipped: skipped.sort((a, b) => a.line - b.line),
    merged: [...merged.values()],
    timeZone: { zone: options.timeZone, assumed: importer.wallClockOnly },
  };
}

/**
 * The batch minus what the store already holds exactly so, and minus earlier copies of an id
 * repeated in the batch (the last copy wins, as an upsert would make it). A record stored before at
 * another hour (the file imported under another time zone) is refused: writing it would leave the
 * record twice, once in each hour's shard. A move under 15 minutes is no zone change but a better
 * placement: the stored copy is deleted and the new one written.
 */
async function notYetStored(
  store: RecordStore,
  batch: readonly StewardRecord[],
  fileName: string,
): Promise<StewardRecord[]> {
  const latest = new Map<string, StewardRecord>();
  for (const r of batch) latest.set(r.id, r);
  const byScope = new Map<Scope, StewardRecord[]>();
  for (const r of latest.values()) byScope.set(SCOPE_OF[r.type], [...(byScope.get(SCOPE_OF[r.type]) ?? []), r]);
  const fresh: StewardRecord[] = [];
  for (const [scope, group] of byScope) {
    const times = group.map((r) => r.time);
    const stored = await store.query({
      scope,
      from: Math.max(0, Math.min(...times) - MAX_ZONE_SHIFT),
      to: Math.max(...times) + MAX_ZONE_SHIFT,
    });
    const existing = new Map(stored.map((r) => [r.id, r]));
    for (const r of group) {
      const before = existing.get(r.id);
      if (before && hourOf(before) !== hourOf(r) && Math.abs(before.time - r.time) < ZONE_STEP) {
        // Placed a few minutes apart by an earlier importer (e.g. a bolus once dated by its
        // programming row): the old copy goes, so the record is stored once.
        await store.delete(before);
      } else if (before && hourOf(before) !== hourOf(r)) {
        throw new MalformedInput(
          `${fileName} was imported before with another time zone (${before.deviceTime ?? "a reading"} was placed at ${new Date(before.time).toISOString()}, now at ${new Date(r.time).toISOString()}); import it with the zone chosen then`,
        );
      }
      if (!before || canonical(before) !== canonical(r)) fresh.push(r);
    }
  }
  return fresh;
}

/** JSON with sorted keys, so a stored record and its re-import compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * The file as chunks, with its first DETECT_BYTES decoded for detection. A stream is read once: the
 * chunks read for detection are replayed before the rest. Text is cut into 16 KiB pieces so the
 * parsers, too, work a piece at a time.
 */
async function openChunks(
  file: ImportFile,
): Promise<{ head: string; chunks: AsyncIterable<Uint8Array | string>; size?: number }> {
  if (!file.stream) {
    const text = file.text ? await file.text() : "";
    async function* pieces() {
      for (let at = 0; at < text.length; at += TEXT_CHUNK) yield text.slice(at, at + TEXT_CHUNK);
    }
    return {
      head: text.slice(0, DETECT_BYTES),
      chunks: pieces(),
      size: file.size ?? new TextEncoder().encode(text).byteLength,
    };
  }
  const reader = file.stream().getReader();
  const buffered: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let head = "";
  let done = false;
  while (!done && head.length < DETECT_BYTES) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      buffered.push(next.value);
      head += decoder.decode(next.value, { stream: true });
    }
  }
  async function* replay() {
    try {
      yield* buffered;
      while (!done) {
        const next = await reader.read();
        if (next.done) done = true;
        else yield next.value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  return { head, chunks: replay(), ...(file.size === undefined ? {} : { size: file.size }) };
}

/** A macrotask boundary: lets the page paint and handle input (a resolved promise would not). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
