// The bridge's store survives a crash: what a write transaction committed is on disk, encrypted,
// when the transaction completes, and a restart brings back exactly that.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import Dexie, { type Table } from "dexie";
import { openDurableIndexedDB, type DurableIndexedDB } from "../../bridge/store/durableIndexedDB.js";
import { MalformedInput, WrongSecret } from "../../shared/errors.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";

interface Row {
  id: string;
  hour: number;
  bytes: Uint8Array;
}
interface Queued {
  order?: number;
  id: string;
}

class TestDb extends Dexie {
  rows!: Table<Row, string>;
  queue!: Table<Queued, number>;
  settings!: Table<unknown, string>;
  constructor(store: DurableIndexedDB) {
    super("bridge-test", { indexedDB: store.factory, IDBKeyRange: store.keyRange });
    this.version(1).stores({ rows: "id, hour", queue: "++order, &id", settings: "" });
  }
}

let dir: string;
let key: Uint8Array;
beforeAll(async () => {
  await loadSodium();
  key = sodium().randombytes_buf(32);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fresh(): string {
  dir = mkdtempSync(join(tmpdir(), "bridge-idb-"));
  return join(dir, "state.journal");
}

describe("durable IndexedDB", () => {
  it("brings back every committed write after a crash, and the file holds no plaintext", async () => {
    const path = fresh();
    const store = await openDurableIndexedDB(path, key);
    const db = new TestDb(store);
    const secret = new TextEncoder().encode("glucose 123 mg/dL");
    await db.rows.bulkPut([
      { id: "a", hour: 1, bytes: secret },
      { id: "b", hour: 2, bytes: new Uint8Array([1, 2]) },
      { id: "c", hour: 3, bytes: new Uint8Array([3]) },
    ]);
    await db.queue.bulkAdd([{ id: "q1" }, { id: "q2" }, { id: "q3" }]);
    await db.queue.bulkDelete([1, 2]);
    await db.rows.where("hour").above(2).delete();
    await db.settings.put({ nested: [1, "x"] }, "prefs");
    await db.rows.update("b", { hour: 5 });
    // A crash: the connection is never closed, the process just stops using it.
    store.close();
    expect(Buffer.from(readFileSync(path)).includes(Buffer.from("glucose"))).toBe(false);

    const again = await openDurableIndexedDB(path, key);
    const reopened = new TestDb(again);
    expect(await reopened.rows.toArray()).toEqual([
      { id: "a", hour: 1, bytes: secret },
      { id: "b", hour: 5, bytes: new Uint8Array([1, 2]) },
    ]);
    expect(await reopened.queue.toArray()).toEqual([{ id: "q3", order: 3 }]);
    // The key generator never hands out a key it gave before, even one since deleted.
    await reopened.queue.add({ id: "q4" });
    expect((await reopened.queue.get({ id: "q4" }))?.order).toBe(4);
    expect(await reopened.settings.get("prefs")).toEqual({ nested: [1, "x"] });
    await expect(reopened.queue.add({ id: "q3" })).rejects.toThrow(/constraint/i);
    reopened.close();
    again.close();
  });

  it("an aborted transaction leaves nothing behind after a restart", async () => {
    const path = fresh();
    const store = await openDurableIndexedDB(path, key);
    const db = new TestDb(store);
    await db.rows.put({ id: "kept", hour: 1, bytes: new Uint8Array() });
    await expect(
      db.transaction("rw", db.rows, async () => {
        await db.rows.put({ id: "lost", hour: 2, bytes: new Uint8Array() });
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    store.close();
    const again = await openDurableIndexedDB(path, key);
    expect((await new TestDb(again).rows.toArray()).map((r) => r.id)).toEqual(["kept"]);
    again.close();
  });

  it("cuts off a torn last record, refuses a wrong key and a damaged middle", async () => {
    const path = fresh();
    const store = await openDurableIndexedDB(path, key);
    const db = new TestDb(store);
    await db.rows.put({ id: "a", hour: 1, bytes: new Uint8Array() });
    await db.rows.put({ id: "b", hour: 1, bytes: new Uint8Array() });
    store.close();
    const size = statSync(path).size;
    appendFileSync(path, new Uint8Array([0, 0, 1, 0, 9, 9, 9])); // a record cut short by a crash
    const again = await openDurableIndexedDB(path, key);
    expect((await new TestDb(again).rows.toArray()).map((r) => r.id)).toEqual(["a", "b"]);
    again.close();
    expect(statSync(path).size).toBeLessThanOrEqual(size);

    await expect(openDurableIndexedDB(path, sodium().randombytes_buf(32))).rejects.toBeInstanceOf(WrongSecret);

    const reopened = await openDurableIndexedDB(path, key);
    const third = new TestDb(reopened);
    await third.rows.put({ id: "c", hour: 1, bytes: new Uint8Array() });
    await third.rows.put({ id: "d", hour: 1, bytes: new Uint8Array() });
    reopened.close();
    const bytes = new Uint8Array(readFileSync(path));
    bytes[bytes.length - 200]! ^= 1; // inside the next-to-last record
    writeFileSync(path, bytes);
    await expect(openDurableIndexedDB(path, key)).rejects.toBeInstanceOf(MalformedInput);
  });

  it("compacts while running, writes going on meanwhile, to a file that replays the same", async () => {
    const path = fresh();
    const store = await openDurableIndexedDB(path, key);
    const db = new TestDb(store);
    for (let i = 0; i < 200; i++) await db.rows.put({ id: "same", hour: i, bytes: new Uint8Array(512) });
    await db.queue.bulkAdd([{ id: "q1" }, { id: "q2" }]);
    await db.queue.delete(2);
    const grown = statSync(path).size;
    // Writes racing the compaction land either in its snapshot or after it, never nowhere.
    await Promise.all([
      store.compact(),
      db.rows.put({ id: "during", hour: 1, bytes: new Uint8Array() }),
      db.settings.put("x", "during"),
    ]);
    await db.rows.put({ id: "after", hour: 2, bytes: new Uint8Array() });
    expect(statSync(path).size).toBeLessThan(grown / 10);
    store.close();

    const again = await openDurableIndexedDB(path, key);
    const reopened = new TestDb(again);
    expect((await reopened.rows.toArray()).map((r) => [r.id, r.hour])).toEqual([
      ["after", 2],
      ["during", 1],
      ["same", 199],
    ]);
    expect(await reopened.settings.get("during")).toBe("x");
    await reopened.queue.add({ id: "q3" });
    expect((await reopened.queue.toArray()).map((q) => [q.id, q.order])).toEqual([
      ["q1", 1],
      ["q3", 3],
    ]);
    reopened.close();
    again.close();
  });
});
