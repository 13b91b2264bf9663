import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys } from "../../../shared/accountKeys.js";
import { InvalidSignature } from "../../../shared/errors.js";
import { loadSodium } from "../../../shared/sodium.js";
import { hourOf, type StewardRecord } from "../../../shared/records.js";
import { createKeyRing, rotateScopes, type KeyRing } from "../../../client/keyRing.js";
import { ownKeySource } from "../../../client/keySource.js";
import { StewardDatabase } from "../../../client/store/database.js";
import { RecordStore } from "../../../client/store/recordStore.js";
import { ShardStore } from "../../../client/store/shards.js";
import { SyncEngine } from "../../../client/sync/syncEngine.js";
import { MemoryServer } from "../../helpers/memoryServer.js";

let n = 0;
function device(ring: KeyRing, server: MemoryServer, name: string) {
  const db = new StewardDatabase(`compaction-test-${n++}`);
  const shards = new ShardStore(db, ownKeySource(ring.account.signKey, ring.data!), {
    signKey: ring.account.signKey,
    signSecretKey: ring.account.signSecretKey,
    deviceId: crypto.getRandomValues(new Uint8Array(16)),
  });
  return { db, shards, records: new RecordStore(shards), sync: new SyncEngine(shards, server.transport(name)) };
}
type Device = ReturnType<typeof device>;

const t0 = 480_000 * 3_600_000;
const hour = hourOf({ type: "cgm", time: t0 });
const reading = (i: number, mgdl = 100 + i): StewardRecord => ({ id: `cgm-${i}`, type: "cgm", time: t0 + i * 60_000, deviceId: "g7", body: { mgdl } });
const range = { scope: "glucose" as const, from: t0, to: t0 + 3_600_000 - 1 };

/** Five readings in one hour, each written and synced on its own: five envelopes of one shard. */
async function fiveUpdates(d: Device): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await d.records.put([reading(i)]);
    await d.sync.sync();
  }
}

/** The shard's local rows: how many still hold a body, how many only their prefix. */
async function shardRows(d: Device, at = hour) {
  const rows = await d.db.envelopes.filter((r) => r.hour === at).toArray();
  return { full: rows.filter((r) => !r.compacted).length, compacted: rows.filter((r) => r.compacted).length };
}

/** Reads the shard again from IndexedDB, not from the document in memory. */
async function reread(d: Device) {
  d.shards.evict();
  return d.records.query(range);
}

describe("compaction of closed shards", () => {
  let ring: KeyRing;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
  });

  it("a shard written in five updates becomes one envelope, and reads the same before and after", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server, "phone");
    await fiveUpdates(phone);
    const before = await reread(phone);
    expect(before).toHaveLength(5);

    expect(await phone.shards.compact("glucose", hour)).toBe(true);
    const [waiting] = await phone.shards.pending();
    expect(waiting!.replaces).toHaveLength(5);
    await phone.sync.sync();

    const log = server.log(phone.shards.patient);
    expect(log).toHaveLength(6);
    expect(log.filter((r) => r.compacted)).toHaveLength(5);
    expect(phone.sync.status.pending).toBe(0);
    expect(await shardRows(phone)).toEqual({ full: 1, compacted: 5 });
    expect(await reread(phone)).toEqual(before);
    // One envelope left: nothing more to compact.
    expect(await phone.shards.compact("glucose", hour)).toBe(false);
  });

  it("only acknowledged envelopes are compacted, and only in the hours the caller closes", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server, "phone");
    await fiveUpdates(phone);
    await phone.records.put([reading(20, 150)]);
    await phone.records.put([reading(21, 151)]);
    expect(await phone.shards.compactBefore(hour)).toBe(0);
    expect(await phone.shards.compact("glucose", hour)).toBe(true);
    // The two unsent writes are not sources: they keep their bodies and stay in the outbox.
    const pending = await phone.shards.pending();
    expect(pending.map((p) => p.replaces?.length ?? 0)).toEqual([0, 0, 5]);
    // Sources already in a waiting compaction are not taken again.
    expect(await phone.shards.compactBefore(hour + 1)).toBe(0);
    await phone.sync.sync();
    expect(await phone.shards.compactBefore(hour + 1)).toBe(1);
    await phone.sync.sync();
    expect((await reread(phone)).map((r) => r.id).sort()).toEqual(["cgm-0", "cgm-1", "cgm-2", "cgm-20", "cgm-21", "cgm-3", "cgm-4"]);
  });

  it("another device pulling the compacted log gets the same records and checks every compacted prefix", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server, "phone");
    const earlier = device(ring, server, "earlier");
    await fiveUpdates(phone);
    await earlier.sync.sync();
    expect(await shardRows(earlier)).toEqual({ full: 5, compacted: 0 });
    await phone.shards.compact("glucose", hour);
    await phone.sync.sync();
    const expected = await reread(phone);

    const laptop = device(ring, server, "laptop");
    await laptop.sync.sync();
    expect(await reread(laptop)).toEqual(expected);
    expect(await shardRows(laptop)).toEqual({ full: 1, compacted: 5 });

    // A device that pulled the bodies before drops them once the compaction carrying them arrives.
    await earlier.sync.sync();
    expect(await shardRows(earlier)).toEqual({ full: 1, compacted: 5 });
    expect(await reread(earlier)).toEqual(expected);

    // A compacted prefix is verified like a whole envelope: a forged signature is caught.
    const tablet = device(ring, server, "tablet");
    server.servePage = (page, request) => {
      if (request.client !== "tablet") return page;
      const entries = page.entries.map((e) => {
        if (!e.compacted) return e;
        const bytes = e.bytes.slice();
        bytes[bytes.length - 1]! ^= 1;
        return { ...e, bytes };
      });
      return { ...page, entries };
    };
    await expect(tablet.sync.sync()).rejects.toBeInstanceOf(InvalidSignature);
  });

  it("an envelope a compaction does not carry keeps its body on every device", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server, "phone");
    const laptop = device(ring, server, "laptop");
    await fiveUpdates(phone);
    await laptop.sync.sync();
    // Written on the laptop and pushed, but the phone compacts before it ever pulls it.
    await laptop.records.put([reading(30, 180)]);
    await laptop.sync.push();
    await phone.shards.compact("glucose", hour);
    await phone.sync.push();

    await laptop.sync.sync();
    await phone.sync.sync();
    expect(await shardRows(laptop)).toEqual({ full: 2, compacted: 5 });
    expect(await shardRows(phone)).toEqual({ full: 2, compacted: 5 });
    for (const d of [phone, laptop]) expect((await reread(d)).map((r) => r.id)).toContain("cgm-30");
  });

  it("a compaction whose answer was lost is sent again and stored once", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server, "phone");
    await fiveUpdates(phone);
    const before = await reread(phone);
    await phone.shards.compact("glucose", hour);
    server.loseNextAck = true;
    await expect(phone.sync.sync()).rejects.toThrow(/network/);
    expect(phone.sync.status.pending).toBe(1);
    // Nothing dropped locally until the server's answer arrives.
    expect(await shardRows(phone)).toEqual({ full: 6, compacted: 0 });

    await phone.sync.sync();
    expect(phone.sync.status.pending).toBe(0);
    const log = server.log(phone.shards.patient);
    expect(log).toHaveLength(6);
    expect(log.filter((r) => r.compacted)).toHaveLength(5);
    expect(await shardRows(phone)).toEqual({ full: 1, compacted: 5 });
    expect(await reread(phone)).toEqual(before);
  });

  it("a compaction refused because another device compacted first is dropped, and later writes still go out in chain order", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server, "phone");
    const laptop = device(ring, server, "laptop");
    await fiveUpdates(phone);
    await laptop.sync.sync();
    await laptop.shards.compact("glucose", hour);
    await laptop.sync.sync();

    // The phone compacts the same sources offline, then writes more after it.
    expect(await phone.shards.compact("glucose", hour)).toBe(true);
    await phone.records.put([reading(40, 90)]);
    await phone.records.put([{ ...reading(41, 95), time: t0 + 3_600_000 }]);
    await phone.sync.sync();
    expect(phone.sync.status.pending).toBe(0);
    expect(phone.sync.status.error).toBeUndefined();
    expect(server.log(phone.shards.patient).filter((r) => !r.compacted)).toHaveLength(3);

    // A fresh device checks every device chain from the start: a seq the server never stored would be a gap.
    const tablet = device(ring, server, "tablet");
    await tablet.sync.sync();
    const all = await tablet.records.query({ ...range, to: t0 + 2 * 3_600_000 });
    expect(all.map((r) => r.id).sort()).toEqual(["cgm-0", "cgm-1", "cgm-2", "cgm-3", "cgm-4", "cgm-40", "cgm-41"]);
    // The phone's sources, compacted by the laptop, lose their bodies once its compaction is pulled.
    expect(await shardRows(phone)).toEqual({ full: 2, compacted: 5 });
  });

  it("a compaction still waiting when another device rotates the keys is dropped on re-sealing; the writes after it are re-sealed and nothing is lost", async () => {
    const rotating = createKeyRing(true, "test").ring;
    const server = new MemoryServer();
    const phone = device(rotating, server, "phone");
    await fiveUpdates(phone);
    await phone.shards.compact("glucose", hour);
    const note: StewardRecord = { id: "note-1", type: "note", time: t0, body: { text: "new sensor" } };
    await phone.records.put([note]);
    // What the sync engine does when the server answers stale_generation after a rotation elsewhere.
    rotateScopes(rotating.data!, ["glucose"]);
    expect(await phone.shards.resealPending()).toBe(1);
    const pending = await phone.shards.pending();
    expect(pending.map((p) => p.replaces)).toEqual([undefined]);
    await phone.sync.sync();
    expect(server.log(phone.shards.patient).filter((r) => r.compacted)).toHaveLength(0);

    const laptop = device(rotating, server, "laptop");
    await laptop.sync.sync();
    expect((await reread(laptop)).map((r) => r.id)).toEqual((await reread(phone)).map((r) => r.id));
    expect((await laptop.records.query({ scope: "events", from: t0, to: t0 + 3_600_000 })).map((r) => r.id)).toEqual(["note-1"]);
    // The sources are of the old generation now: nothing in this shard is compactable any more.
    expect(await phone.shards.compact("glucose", hour)).toBe(false);
  });
});
