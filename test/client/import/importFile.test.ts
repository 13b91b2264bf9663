// importFile: every fixture set into an encrypted record store, format detected from content, every
// row accounted for, re-imports writing nothing, progress monotonic up to 1, batches of one envelope per
// shard, the event loop kept free, and abort.
import "fake-indexeddb/auto";
import { readdirSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { createKeyRing, type KeyRing } from "../../../client/keyRing.js";
import { ownKeySource } from "../../../client/keySource.js";
import type { ImportFormat } from "../../../client/import/detect.js";
import { analyzeGlucose } from "../../../client/metrics/analysis.js";
import { glucoseSamples } from "../../../client/metrics/samples.js";
import { importFile, IMPORTERS, type ImportFile, type ImportFileProgress } from "../../../client/import/importFile.js";
import type { ImportEvent } from "../../../client/import/types.js";
import { StewardDatabase } from "../../../client/store/database.js";
import { RecordStore } from "../../../client/store/recordStore.js";
import { LocalLog } from "../../../client/store/localLog.js";
import { MalformedInput } from "../../../shared/errors.js";
import { hourOf, SCOPE_OF, SCOPES, type StewardRecord } from "../../../shared/records.js";
import { loadSodium } from "../../../crypto/sodium.js";
import { sharedFixture } from "../../helpers/sharedFixtures.js";
import { deviceAuthor } from "../../helpers/patientDevice.js";

const own = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

interface Case {
  readonly path: string;
  readonly format: ImportFormat;
  readonly timeZone: string;
}

/** Every fixture set: the shared third-party ones when present, and our own. */
function cases(): Case[] {
  const out: Case[] = [];
  const dir = (name: string, format: ImportFormat, timeZone: string, pattern: RegExp) => {
    const f = sharedFixture(name);
    if (f.exists)
      for (const file of readdirSync(f.path).filter((n) => pattern.test(n)))
        out.push({ path: `${f.path}/${file}`, format, timeZone });
  };
  dir("carelink-legacy-tidepool-uploader", "carelink-legacy", "Pacific/Honolulu", /\.input\.csv$/);
  dir("carelink-legacy-mmcsv", "carelink-legacy", "UTC", /\.input\.csv$/);
  dir("carelink-780g-synthetic", "carelink-current", "Europe/Berlin", /\.csv$/);
  dir("dexcom-clarity-cgmquantify", "clarity", "UTC", /^test_file\.csv$/);
  out.push({ path: own("carelink_clock_change.csv"), format: "carelink-current", timeZone: "Europe/Berlin" });
  out.push({ path: own("nightscout_entries.json"), format: "nightscout", timeZone: "Europe/Berlin" });
  out.push({ path: own("nightscout_treatments.json"), format: "nightscout", timeZone: "Europe/Berlin" });
  return out;
}

let ring: KeyRing;
let n = 0;
function newStore() {
  const log = new LocalLog(new StewardDatabase(`import-file-${n++}`), ownKeySource(ring), deviceAuthor(ring));
  return { log, records: new RecordStore(log) };
}

/** A File-like object over bytes, streamed in small chunks as a browser would. */
function fileOf(path: string, chunk = 4096): ImportFile {
  const bytes = readFileSync(path);
  return {
    name: path.split("/").at(-1) ?? path,
    size: bytes.length,
    stream: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += chunk)
            controller.enqueue(new Uint8Array(bytes.subarray(at, at + chunk)));
          controller.close();
        },
      }),
  };
}

function textFile(name: string, text: string): ImportFile {
  return { name, text: async () => text };
}

async function everything(records: RecordStore): Promise<StewardRecord[]> {
  const out: StewardRecord[] = [];
  for (const scope of SCOPES) out.push(...(await records.query({ scope, from: 0, to: 2 ** 21 * 3_600_000 - 1 })));
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Rows of the source that hold anything: non-blank CSV lines, or every item of a JSON array. */
function sourceRows(path: string): number[] {
  const text = readFileSync(path, "utf8");
  if (path.endsWith(".json")) return (JSON.parse(text) as unknown[]).map((_, i) => i + 1);
  return text.split(/\n/).flatMap((line, i) => (line.replace(/[,;"\s\uFEFF]/g, "") === "" ? [] : [i + 1]));
}

function expectMonotonicToOne(progress: readonly ImportFileProgress[]) {
  expect(progress.length).toBeGreaterThan(0);
  for (let i = 1; i < progress.length; i++) {
    expect(progress[i]!.fraction).toBeGreaterThanOrEqual(progress[i - 1]!.fraction);
    expect(progress[i]!.rowsRead).toBeGreaterThanOrEqual(progress[i - 1]!.rowsRead);
    expect(progress[i]!.recordsWritten).toBeGreaterThanOrEqual(progress[i - 1]!.recordsWritten);
  }
  expect(progress.filter((p) => p.fraction === 1)).toHaveLength(1);
  expect(progress.at(-1)?.fraction).toBe(1);
  expect(progress.at(-1)?.rowsTotal).toBe(progress.at(-1)?.rowsRead);
}

beforeAll(async () => {
  await loadSodium();
  ring = createKeyRing(true, "test").ring;
});

describe.each(cases())("importFile($path)", ({ path, format, timeZone }) => {
  it("detects the format, writes every record into the store, and accounts for every row", async () => {
    const { records, log } = newStore();
    const progress: ImportFileProgress[] = [];
    const summary = await importFile(records, fileOf(path), { timeZone, onProgress: (p) => progress.push(p) });
    expect(summary.format).toBe(format);
    expectMonotonicToOne(progress);
    expect(progress.at(-1)?.recordsWritten).toBe(summary.recordsWritten);

    // The same records the importer yields, now decrypted from the store.
    const events: ImportEvent[] = [];
    for await (const e of IMPORTERS[format].read(readFileSync(path), { timeZone })) events.push(e);
    const imported = new Map(events.flatMap((e) => (e.kind === "record" ? [[e.record.id, e.record] as const] : [])));
    expect(await everything(records)).toEqual([...imported.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(summary.recordsWritten).toBe(imported.size);
    expect(summary.recordsRead).toBe(events.filter((e) => e.kind === "record").length);
    expect(records.invalid).toEqual([]);

    // Zero unexplained rows: each row made a record or is in the skipped report, which importFile passes on whole.
    expect(summary.skipped).toEqual(
      events
        .flatMap((e) => (e.kind === "skipped" ? [{ line: e.line, reason: e.reason }] : []))
        .sort((a, b) => a.line - b.line),
    );
    const accounted = new Set([
      ...events.flatMap((e) => (e.kind === "record" ? e.lines : [])),
      ...summary.skipped.map((s) => s.line),
    ]);
    expect(sourceRows(path).filter((line) => !accounted.has(line))).toEqual([]);

    // Re-import: nothing written, nothing queued for sync.
    const queued = await log.pendingCount();
    const again = await importFile(records, fileOf(path), { timeZone });
    expect(again).toMatchObject({
      recordsWritten: 0,
      duplicates: summary.recordsRead,
      recordsRead: summary.recordsRead,
    });
    expect(await log.pendingCount()).toBe(queued);
  }, 60_000);
});

describe("importFile with the Clarity file", () => {
  const clarity = sharedFixture("dexcom-clarity-cgmquantify/test_file.csv");

  it.skipIf(!clarity.exists)(
    "keeps one write per shard per batch, and pushes one envelope per shard",
    async () => {
      const whole = newStore();
      const summary = await importFile(whole.records, fileOf(clarity.path), { timeZone: "UTC", batchSize: 100_000 });
      const all = await everything(whole.records);
      const shardsTouched = new Set(all.map((r) => `${SCOPE_OF[r.type]}:${hourOf(r)}`)).size;
      expect(await whole.log.pendingCount()).toBe(shardsTouched);

      const batched = newStore();
      await importFile(batched.records, fileOf(clarity.path), { timeZone: "UTC", batchSize: 500 });
      const batches = Math.ceil(summary.recordsRead / 500);
      const writes = await batched.log.pendingCount();
      expect(writes).toBeGreaterThan(shardsTouched);
      expect(writes).toBeLessThan(shardsTouched + batches);
      // Sealed for the push: one envelope per shard, however many batches wrote it.
      expect(await batched.log.sealWrites()).toBe(shardsTouched);
      expect(await batched.log.pendingCount()).toBe(shardsTouched);
    },
    60_000,
  );

  it.skipIf(!clarity.exists)(
    "reports progress along the way, from a plain text() file too",
    async () => {
      const { records } = newStore();
      const progress: ImportFileProgress[] = [];
      await importFile(records, textFile("export.csv", clarity.read()), {
        timeZone: "UTC",
        batchSize: 500,
        onProgress: (p) => progress.push(p),
      });
      expectMonotonicToOne(progress);
      expect(new Set(progress.map((p) => p.fraction)).size).toBeGreaterThan(4);
      expect(progress.some((p) => p.fraction > 0 && p.fraction < 1 && p.recordsWritten > 0)).toBe(true);
    },
    60_000,
  );

  it.skipIf(!clarity.exists)(
    "stops when aborted, keeps what it wrote, and a re-import completes the rest",
    async () => {
      const { records } = newStore();
      const controller = new AbortController();
      const abortAfterFirstWrite = (p: ImportFileProgress) => {
        if (p.recordsWritten > 0) controller.abort();
      };
      await expect(
        importFile(records, fileOf(clarity.path), {
          timeZone: "UTC",
          batchSize: 500,
          signal: controller.signal,
          onProgress: abortAfterFirstWrite,
        }),
      ).rejects.toMatchObject({ name: "AbortError" });
      const partial = (await everything(records)).length;
      expect(partial).toBeGreaterThan(0);
      const rest = await importFile(records, fileOf(clarity.path), { timeZone: "UTC" });
      expect(rest.duplicates).toBe(partial);
      expect(rest.recordsWritten).toBe(rest.recordsRead - partial);
    },
    60_000,
  );
});

describe("importFile of a 14-day CareLink export", () => {
  // Our own generated file in the current 780G layout: newest row first, one sensor reading every 5 minutes.
  const days = 14;
  const rows: string[] = [];
  const newest = Date.UTC(2026, 6, 14, 23, 55);
  for (let i = 0; i < days * 288; i++) {
    const wall = new Date(newest - i * 300_000).toISOString();
    rows.push(`${i}.00000,${wall.slice(0, 10).replace(/-/g, "/")},${wall.slice(11, 19)},${100 + ((i * 7) % 120)}`);
  }
  const csv = [
    "-------,MiniMed 780G MMT-1886,Sensor,NG0000000X,-------",
    "Index,Date,Time,Sensor Glucose (mg/dL)",
    ...rows,
  ].join("\r\n");

  it("keeps the event loop free while reading, and moves the bar through encrypting and storing", async () => {
    const { records } = newStore();
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    const seen: { fraction: number; ticks: number; phase: string; recordsStored: number }[] = [];
    const summary = await importFile(records, textFile("carelink.csv", csv), {
      timeZone: "Europe/Berlin",
      batchSize: 1000,
      onProgress: (p) => seen.push({ fraction: p.fraction, ticks, phase: p.phase, recordsStored: p.recordsStored }),
    });
    ticking = false;
    expect(summary).toMatchObject({ format: "carelink-current", recordsRead: days * 288, recordsWritten: days * 288 });
    // Reading and placing the rows in UTC: a timer got to run between every two progress events.
    const reading = seen.filter((s) => (s.phase === "read" || s.phase === "parse") && s.recordsStored === 0);
    expect(reading.length).toBeGreaterThan(5);
    for (let i = 1; i < reading.length; i++) expect(reading[i]!.ticks).toBeGreaterThan(reading[i - 1]!.ticks);
    // Then every phase in order, and each shard encrypted and stored moves the bar on from where reading left it.
    expect([...new Set(seen.map((s) => s.phase))]).toEqual(["read", "parse", "encrypt", "store"]);
    const writing = seen.filter((s) => s.recordsStored > 0 && s.fraction < 1).map((s) => s.fraction);
    expect(new Set(writing).size).toBeGreaterThan(days * 24);
    expect(Math.min(...writing)).toBeGreaterThan(Math.max(...reading.map((s) => s.fraction)));
  }, 120_000);
});

describe("re-import under another time zone", () => {
  it("is refused before writing, instead of leaving each record in two hours", async () => {
    const { records, log } = newStore();
    const path = own("carelink_clock_change.csv");
    const first = await importFile(records, fileOf(path), { timeZone: "Europe/Berlin" });
    const before = await everything(records);
    const queued = await log.pendingCount();
    const error = await importFile(records, fileOf(path), { timeZone: "America/New_York" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedInput);
    expect((error as Error).message).toMatch(/carelink_clock_change\.csv was imported before with another time zone/);
    expect(await everything(records)).toEqual(before);
    expect(await log.pendingCount()).toBe(queued);
    expect(before).toHaveLength(first.recordsWritten);
  });
});

describe("format detection", () => {
  it("refuses an unknown file with a message naming it and the formats it reads", async () => {
    const { records } = newStore();
    const error = await importFile(records, textFile("notes.txt", "Dear diary,\nglucose was fine today.\n"), {
      timeZone: "UTC",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedInput);
    expect((error as Error).message).toMatch(/notes\.txt.*CareLink.*Clarity.*Nightscout/);
  });

  it("follows an explicit source over detection", async () => {
    const { records } = newStore();
    // Read as a Clarity CSV, a JSON array yields no records, and says why row by row.
    const summary = await importFile(records, fileOf(own("nightscout_entries.json")), {
      timeZone: "UTC",
      source: "clarity",
    });
    expect(summary).toMatchObject({ format: "clarity", recordsWritten: 0 });
    expect(summary.skipped.length).toBeGreaterThan(0);
  });
});

describe("one reading per moment across sources", () => {
  // One day of a Dexcom sensor every 5 minutes, as Clarity exports it (device wall clock in Berlin)
  // and as Nightscout holds it (UTC ms, seconds apart from Clarity's times, a stretch missing).
  const start = Date.UTC(2026, 4, 10, 22, 0, 0); // midnight in Berlin (UTC+2 in May)
  const readings = Array.from({ length: 288 }, (_, i) => ({
    time: start + i * 300_000,
    mgdl: Math.round(130 + 60 * Math.sin(i / 20)),
  }));
  const wall = (t: number) => new Date(t + 2 * 3_600_000).toISOString().slice(0, 19);
  const clarityCsv = [
    "Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams),Duration (hh:mm:ss),Glucose Rate of Change (mg/dL/min),Transmitter Time (Long Integer),Transmitter ID",
    ...readings.map((r, i) => `${i + 1},${wall(r.time)},EGV,,,,iPhone G6,${r.mgdl},,,,,,`),
  ].join("\n");
  const nightscout = (list: typeof readings) =>
    JSON.stringify(
      list.map((r, i) => ({ _id: `ns${i}`, type: "sgv", sgv: r.mgdl, date: r.time + 7_000, device: "share2" })),
    );
  const cgm = async (records: RecordStore) =>
    (await records.query({ scope: "glucose", from: 0, to: 2 ** 21 * 3_600_000 - 1 })).filter((r) => r.type === "cgm");
  const metricsOf = async (records: RecordStore) =>
    analyzeGlucose(glucoseSamples(await cgm(records)), { timeZone: "Europe/Berlin" });

  it("keeps one reading per moment, from the more complete source, and the metrics do not change", async () => {
    const alone = newStore();
    await importFile(alone.records, textFile("clarity.csv", clarityCsv), { timeZone: "Europe/Berlin" });
    const both = newStore();
    const first = await importFile(both.records, textFile("clarity.csv", clarityCsv), { timeZone: "Europe/Berlin" });
    expect(first.timeZone).toEqual({ zone: "Europe/Berlin", assumed: true });
    // Nightscout lacks two hours: Clarity is the more complete source, so its records stay.
    const gappy = readings.filter((_, i) => i < 100 || i >= 124);
    const second = await importFile(both.records, textFile("entries.json", nightscout(gappy)), {
      timeZone: "Europe/Berlin",
    });
    expect(second.merged).toEqual([{ type: "cgm", kept: "clarity", dropped: "nightscout", readings: gappy.length }]);
    expect(second.recordsWritten).toBe(0);
    expect(second.timeZone).toEqual({ zone: "Europe/Berlin", assumed: false });
    const stored = await cgm(both.records);
    expect(stored).toHaveLength(288);
    expect(new Set(stored.map((r) => r.source))).toEqual(new Set(["clarity"]));
    expect(await metricsOf(both.records)).toEqual(await metricsOf(alone.records));
  });

  it("replaces the stored copies when the new file is the more complete source", async () => {
    const { records } = newStore();
    const partial = readings.slice(0, 150);
    await importFile(records, textFile("entries.json", nightscout(partial.filter((_, i) => i % 10 !== 0))), {
      timeZone: "Europe/Berlin",
    });
    const summary = await importFile(records, textFile("clarity.csv", clarityCsv), { timeZone: "Europe/Berlin" });
    expect(summary.merged).toEqual([{ type: "cgm", kept: "clarity", dropped: "nightscout", readings: 135 }]);
    const stored = await cgm(records);
    expect(stored).toHaveLength(288);
    expect(stored.every((r) => r.source === "clarity")).toBe(true);
    // Every moment once: no two readings closer than half the 5-minute interval.
    const times = stored.map((r) => r.time).sort((a, b) => a - b);
    expect(times.slice(1).every((t, i) => t - (times[i] as number) >= 150_000)).toBe(true);
  });

  it("keeps readings of two sources that are an interval apart (neighbours, not copies)", async () => {
    const { records } = newStore();
    await importFile(records, textFile("clarity.csv", clarityCsv), { timeZone: "Europe/Berlin" });
    const between = readings.slice(0, 10).map((r) => ({ ...r, time: r.time + 150_000 - 7_000 }));
    const summary = await importFile(records, textFile("entries.json", nightscout(between)), {
      timeZone: "Europe/Berlin",
    });
    expect(summary.merged).toEqual([]);
    expect(await cgm(records)).toHaveLength(298);
  });
});
