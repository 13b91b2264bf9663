// The local log's memory: each object a pull brings is opened once, at ingest, and its content kept
// for the reads that follow, until the store is evicted; local writes land on top of pulled data.
import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSodium } from "../../../crypto/sodium.js";
import type { StewardRecord } from "../../../shared/records.js";
import { createKeyRing, type KeyRing } from "../../../client/keyRing.js";
import { ownKeySource, type KeySource } from "../../../client/keySource.js";
import { StewardDatabase } from "../../../client/store/database.js";
import { LocalLog } from "../../../client/store/localLog.js";
import { RecordStore } from "../../../client/store/recordStore.js";
import { SyncEngine } from "../../../client/sync/syncEngine.js";
import { MemoryServer } from "../../helpers/memoryServer.js";
import { deviceAuthor } from "../../helpers/patientDevice.js";

let n = 0;
/** A device of the patient whose key source counts how many keys it derives (one per object opened). */
function device(ring: KeyRing, server: MemoryServer) {
  const db = new StewardDatabase(`local-log-test-${n++}`);
  const own = ownKeySource(ring);
  const opened = { count: 0 };
  const keys: KeySource = {
    ...own,
    leaf(scope, generation, hour) {
      opened.count++;
      return own.leaf(scope, generation, hour);
    },
    nodeKey(scope, generation, node) {
      opened.count++;
      return own.nodeKey(scope, generation, node);
    },
  };
  const log = new LocalLog(db, keys, deviceAuthor(ring));
  return { db, log, opened, records: new RecordStore(log), sync: new SyncEngine(log, server.transport(`device-${n}`)) };
}

// The current hour: nothing here is closed, so no block is sealed and every object is an envelope.
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const reading = (i: number, mgdl = 100 + i): StewardRecord => ({
  id: `cgm-${i}`,
  type: "cgm",
  time: t0 + i * 60_000,
  deviceId: "g7",
  body: { mgdl },
});
const day = { scope: "glucose" as const, from: t0, to: t0 + 24 * 3_600_000 - 1 };
const mgdls = (records: StewardRecord[]) => records.map((r) => (r.type === "cgm" ? r.body.mgdl : undefined));

describe("the local log", () => {
  let ring: KeyRing;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
  });

  it("opens each pulled envelope once, at ingest, and reads from what it kept until evicted", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server);
    for (let i = 0; i < 4; i++) {
      await phone.records.put([reading(i * 61)]);
      await phone.sync.sync();
    }
    const laptop = device(ring, server);
    await laptop.sync.pull();
    const afterIngest = laptop.opened.count;
    expect(afterIngest).toBe(4);

    expect(mgdls(await laptop.records.query(day))).toEqual([100, 161, 222, 283]);
    expect(laptop.opened.count).toBe(afterIngest);

    laptop.log.evict();
    expect(mgdls(await laptop.records.query(day))).toEqual([100, 161, 222, 283]);
    expect(laptop.opened.count).toBe(afterIngest + 4);
  });

  it("derives an hour's write key once for writes one record at a time, and again once evicted", async () => {
    const phone = device(ring, new MemoryServer());
    for (let i = 0; i < 5; i++) await phone.records.put([reading(i)]);
    expect(phone.opened.count).toBe(1);
    phone.log.evict();
    expect(mgdls(await phone.records.query(day))).toEqual([100, 101, 102, 103, 104]);
    expect(phone.opened.count).toBe(2);
  });

  it("keeps a local write made on top of pulled data, and sends it whole; a correction overrides the reading everywhere", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server);
    await phone.records.put([reading(0), reading(1)]);
    await phone.sync.sync();
    const laptop = device(ring, server);
    await laptop.sync.pull();

    await laptop.records.put([reading(1, 150), reading(2)]);
    await laptop.sync.sync();
    await phone.sync.sync();
    expect(mgdls(await laptop.records.query(day))).toEqual([100, 150, 102]);
    expect(mgdls(await phone.records.query(day))).toEqual([100, 150, 102]);
    phone.log.evict();
    expect(mgdls(await phone.records.query(day))).toEqual([100, 150, 102]);
  });

  it("packs new readings and keeps edits of them in Yjs: a deleted reading stays deleted, and putting it back restores it", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server);
    await phone.records.put([reading(0), reading(1), reading(2)]);
    expect(await phone.records.delete(reading(1))).toBe(true);
    expect(await phone.records.delete(reading(1))).toBe(false);
    expect(mgdls(await phone.records.query(day))).toEqual([100, 102]);
    await phone.sync.sync();
    const laptop = device(ring, server);
    await laptop.sync.sync();
    expect(mgdls(await laptop.records.query(day))).toEqual([100, 102]);
    await laptop.records.put([reading(1)]);
    await laptop.sync.sync();
    await phone.sync.sync();
    expect(mgdls(await phone.records.query(day))).toEqual([100, 101, 102]);
    // The same data again writes nothing.
    expect(await phone.records.put([reading(0), reading(1), reading(2)])).toBe(0);
  });
});
