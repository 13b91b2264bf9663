import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys } from "../../../shared/accountKeys.js";
import { loadSodium } from "../../../shared/sodium.js";
import { hourOf, type StewardRecord } from "../../../shared/records.js";
import { createKeyRing, type KeyRing } from "../../../client/keyRing.js";
import { ownKeySource, type KeySource } from "../../../client/keySource.js";
import { StewardDatabase } from "../../../client/store/database.js";
import { RecordStore } from "../../../client/store/recordStore.js";
import { ShardStore } from "../../../client/store/shards.js";
import { SyncEngine } from "../../../client/sync/syncEngine.js";
import { MemoryServer } from "../../helpers/memoryServer.js";

let n = 0;
/** A device of the patient whose key source counts how many envelopes it opens (one leaf key each). */
function device(ring: KeyRing, server: MemoryServer) {
  const db = new StewardDatabase(`shards-test-${n++}`);
  const own = ownKeySource(ring.account.signKey, ring.data!);
  const opened = { count: 0 };
  const keys: KeySource = {
    ...own,
    leaf(scope, generation, hour) {
      opened.count++;
      return own.leaf(scope, generation, hour);
    },
  };
  const shards = new ShardStore(db, keys, { signKey: ring.account.signKey, signSecretKey: ring.account.signSecretKey, deviceId: crypto.getRandomValues(new Uint8Array(16)) });
  return { db, shards, opened, records: new RecordStore(shards), sync: new SyncEngine(shards, server.transport(`device-${n}`)) };
}

const t0 = 480_000 * 3_600_000;
const hour = hourOf({ type: "cgm", time: t0 });
const reading = (i: number, mgdl = 100 + i): StewardRecord => ({ id: `cgm-${i}`, type: "cgm", time: t0 + i * 60_000, deviceId: "g7", body: { mgdl } });
const day = { scope: "glucose" as const, from: t0, to: t0 + 24 * 3_600_000 - 1 };
const mgdls = (records: StewardRecord[]) => records.map((r) => (r.type === "cgm" ? r.body.mgdl : undefined));

describe("a pulled shard's first load", () => {
  let ring: KeyRing;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
  });

  it("uses the updates decrypted at ingest instead of opening the envelopes again, until the store is evicted", async () => {
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

    laptop.shards.evict();
    expect(mgdls(await laptop.records.query(day))).toEqual([100, 161, 222, 283]);
    expect(laptop.opened.count).toBe(afterIngest + 4);
  });

  it("reads the same records after the shard's envelopes were compacted on another device", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server);
    for (let i = 0; i < 5; i++) {
      await phone.records.put([reading(i)]);
      await phone.sync.sync();
    }
    const laptop = device(ring, server);
    await laptop.sync.pull();

    await phone.records.put([reading(2, 180)]);
    expect(await phone.shards.compact("glucose", hour)).toBe(true);
    await phone.sync.sync();
    await laptop.sync.pull();

    const rows = await laptop.db.envelopes.where("[patient+tag+hour]").between([laptop.shards.patient, "", hour], [laptop.shards.patient, "\uffff", hour]).toArray();
    expect(rows.filter((row) => row.compacted).length).toBeGreaterThan(0);
    const expected = [100, 101, 180, 103, 104];
    expect(mgdls(await laptop.records.query(day))).toEqual(expected);
    laptop.shards.evict();
    expect(mgdls(await laptop.records.query(day))).toEqual(expected);
  });

  it("keeps a local write made on top of pulled updates, and sends it whole", async () => {
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
  });
});
