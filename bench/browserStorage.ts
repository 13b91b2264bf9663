// The storage floor again, in a real browser: Debian's Chromium (driven by playwright-core) runs the
// same IndexedDB access patterns as storageFloor.ts on rows of the same shape, with raw IndexedDB.
// fake-indexeddb makes each request a macrotask, so its costs per request differ from Chromium's;
// this shows which of the patterns are slow where the app really runs. Skipped without Chromium.
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

export interface BrowserStorage {
  readonly rows: number;
  readonly addEachMs: number;
  readonly bulkAddMs: number;
  /** One get by primary key per row (ShardStore.ingest's lookup by id). */
  readonly getEachMs: number;
  readonly readEachShardMs: number;
  readonly readRangeMs: number;
  /** Distinct hours per scope through a key cursor with "nextunique" (Dexie's uniqueKeys). */
  readonly uniqueHoursMs: number;
}

interface Shape {
  readonly rows: number;
  readonly scopes: number;
  readonly bytesPerRow: number;
}

/** Runs inside the page: raw IndexedDB, one object store with the envelopes table's compound index. */
async function measure(shape: Shape): Promise<Omit<BrowserStorage, "rows">> {
  const request = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
  const complete = (tx: IDBTransaction) => new Promise<void>((resolve, reject) => ((tx.oncomplete = () => resolve()), (tx.onerror = () => reject(tx.error))));
  const opening = indexedDB.open("bench", 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore("envelopes", { keyPath: "id" }).createIndex("shard", ["patient", "tag", "hour"]);
  const db = await request(opening);
  const tags = Array.from({ length: shape.scopes }, (_, i) => `tag${i}`);
  const rows = Array.from({ length: shape.rows }, (_, i) => ({ id: `id${i}`, patient: "p", tag: tags[i % shape.scopes]!, hour: 400_000 + Math.floor(i / shape.scopes), seq: i + 1, bytes: crypto.getRandomValues(new Uint8Array(shape.bytesPerRow)) }));
  const store = (mode: IDBTransactionMode = "readonly") => db.transaction("envelopes", mode).objectStore("envelopes");
  const range = (tag: string) => IDBKeyRange.bound(["p", tag, 0], ["p", tag, Number.MAX_SAFE_INTEGER]);
  const time = async (fn: () => Promise<unknown>) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  const addEachMs = await time(async () => {
    for (const row of rows) {
      const s = store("readwrite");
      s.add(row);
      await complete(s.transaction);
    }
  });
  await complete(((s) => (s.clear(), s.transaction))(store("readwrite")));
  const bulkAddMs = await time(async () => {
    const s = store("readwrite");
    for (const row of rows) s.add(row);
    await complete(s.transaction);
  });
  const getEachMs = await time(async () => {
    for (const row of rows) await request(store().get(row.id));
  });
  const readEachShardMs = await time(async () => {
    for (const row of rows) await request(store().index("shard").getAll(IDBKeyRange.only(["p", row.tag, row.hour])));
  });
  const readRangeMs = await time(async () => {
    for (const tag of tags) await request(store().index("shard").getAll(range(tag)));
  });
  const uniqueHoursMs = await time(async () => {
    for (const tag of tags) {
      await new Promise<void>((resolve, reject) => {
        const cursor = store().index("shard").openKeyCursor(range(tag), "nextunique");
        cursor.onsuccess = () => (cursor.result ? cursor.result.continue() : resolve());
        cursor.onerror = () => reject(cursor.error);
      });
    }
  });
  db.close();
  return { addEachMs, bulkAddMs, getEachMs, readEachShardMs, readRangeMs, uniqueHoursMs };
}

export async function browserStorage(shape: Shape): Promise<BrowserStorage | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  // IndexedDB needs an origin: a blank page from loopback.
  const server = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>bench</title>"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"], headless: true });
  try {
    const page = await browser.newPage();
    // tsx compiles `measure` keeping function names through an `__name` helper the page lacks.
    await page.addInitScript({ content: "globalThis.__name = (fn) => fn;" });
    const address = server.address();
    await page.goto(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`);
    return { rows: shape.rows, ...(await page.evaluate(measure, shape)) };
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
