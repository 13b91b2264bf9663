// Blocks along the key tree on the patient's devices (docs/protocol.md §6A): closed spans are sealed
// after a sync, at every level, a level-0 block replaces the envelopes it lists here and on the
// server, late writes stay envelopes until there are enough to re-seal, and nothing is ever lost.
import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { openBlock } from "../../../crypto/block.js";
import { decodeBlock } from "../../../shared/blockCodec.js";
import { toHex } from "../../../shared/bytes.js";
import { decodeContent } from "../../../shared/shardContent.js";
import { loadSodium } from "../../../crypto/sodium.js";
import { hourOf, MS_PER_HOUR, type StewardRecord } from "../../../shared/records.js";
import { objectKind } from "../../../shared/syncFrames.js";
import { createKeyRing, rotateScopes, type KeyRing } from "../../../client/keyRing.js";
import { ownKeySource } from "../../../client/keySource.js";
import { RESEAL_LATE_ENVELOPES } from "../../../client/store/compaction.js";
import { MemoryServer } from "../../helpers/memoryServer.js";
import { patientDevice, type Device } from "../../helpers/patientDevice.js";

const t0 = 480_000 * MS_PER_HOUR;
const hour = hourOf({ type: "cgm", time: t0 });
const reading = (i: number, mgdl = 100 + i): StewardRecord => ({
  id: `cgm-${i}`,
  type: "cgm",
  time: t0 + i * 60_000,
  deviceId: "g7",
  body: { mgdl },
});
const range = { scope: "glucose" as const, from: t0, to: t0 + 64 * MS_PER_HOUR - 1 };
const mgdls = (records: StewardRecord[]) => records.map((r) => (r.type === "cgm" ? r.body.mgdl : undefined));

/** Five readings in one hour, each written and pushed on its own (five envelopes of one hour), then a sync. */
async function fiveUpdates(d: Device, first = 0): Promise<void> {
  for (let i = first; i < first + 5; i++) {
    await d.records.put([reading(i)]);
    await d.sync.push();
  }
  await d.sync.sync();
}

/** One device's rows of an hour: how many still hold a body, how many only their prefix. */
async function hourRows(d: Device, at = hour) {
  const rows = await d.db.envelopes.filter((r) => r.hour === at).toArray();
  return { whole: rows.filter((r) => r.whole === 1).length, prefixOnly: rows.filter((r) => r.whole === 0).length };
}

function blocksOn(server: MemoryServer, patient: string) {
  return server.log(patient).flatMap((r) => (objectKind(r.bytes) === "block" ? [decodeBlock(r.bytes).header] : []));
}

/** Reads again from IndexedDB, not from what is kept in memory. */
async function reread(d: Device) {
  d.log.evict();
  return d.records.query(range);
}

describe("blocks sealed on the patient's devices", () => {
  let ring: KeyRing;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
  });

  it("replace a closed hour's five envelopes by one level-0 block, here and on the server; another device checks every prefix and reads the same", async () => {
    const server = new MemoryServer();
    const phone = patientDevice(ring, server.transport("phone"), "phone");
    await fiveUpdates(phone);
    const level0 = blocksOn(server, phone.log.patient).filter((b) => b.level === 0);
    expect(level0.map((b) => [b.node, b.count])).toEqual([[hour, 5]]);
    expect(server.log(phone.log.patient).filter((r) => r.compacted).length).toBe(5);
    expect(await hourRows(phone)).toEqual({ whole: 0, prefixOnly: 5 });
    expect(mgdls(await reread(phone))).toEqual([100, 101, 102, 103, 104]);

    const laptop = patientDevice(ring, server.transport("laptop"), "laptop");
    await laptop.sync.sync();
    expect(await hourRows(laptop)).toEqual({ whole: 0, prefixOnly: 5 });
    expect(mgdls(await reread(laptop))).toEqual([100, 101, 102, 103, 104]);
  });

  it("seal only spans that are over: the open hours stay envelopes until their node closes", async () => {
    const server = new MemoryServer();
    const phone = patientDevice(ring, server.transport("phone"), "phone");
    const now = Math.floor(Date.now() / MS_PER_HOUR);
    await phone.records.put([{ ...reading(0), time: now * MS_PER_HOUR }]);
    await phone.sync.push();
    await phone.records.put([{ ...reading(1), time: now * MS_PER_HOUR + 60_000 }]);
    await phone.sync.sync();
    expect(blocksOn(server, phone.log.patient)).toEqual([]);
    // Two hours after it ended, the hour is still open; three hours after, it is closed.
    expect(await phone.log.sealClosed(now + 2)).toBe(0);
    expect(await phone.log.sealClosed(now + 3)).toBeGreaterThan(0);
    await phone.sync.push();
    const sealed = blocksOn(server, phone.log.patient);
    expect(sealed.some((b) => b.level === 0 && b.node === now)).toBe(true);
    expect(sealed.every((b) => (b.node + 1) * 2 ** b.level - 1 + 3 <= now + 3)).toBe(true);
  });

  it("exist for every level of the key tree above data, so each closed node has its own block", async () => {
    const server = new MemoryServer();
    const phone = patientDevice(ring, server.transport("phone"), "phone");
    await phone.records.put(Array.from({ length: 64 }, (_, h) => ({ ...reading(h), time: t0 + h * MS_PER_HOUR })));
    await phone.sync.sync();
    const levels = new Map<number, number>();
    for (const b of blocksOn(server, phone.log.patient)) levels.set(b.level, (levels.get(b.level) ?? 0) + 1);
    // One envelope an hour needs no level-0 block; 64 aligned hours are 32, 16, 8, 4, 2, 1 nodes, then one a level up to 13.
    expect([...levels].sort(([a], [b]) => a - b)).toEqual([
      [1, 32],
      [2, 16],
      [3, 8],
      [4, 4],
      [5, 2],
      [6, 1],
      [7, 1],
      [8, 1],
      [9, 1],
      [10, 1],
      [11, 1],
      [12, 1],
      [13, 1],
    ]);
    expect((await reread(phone)).length).toBe(64);
  });

  it("re-seal a small block at once after a late write, and leave a large one with late envelopes until there are enough", async () => {
    const server = new MemoryServer();
    const phone = patientDevice(ring, server.transport("phone"), "phone");
    // 256 hours of 5-minute readings from an hour aligned to 256: the level-8 block holds about 6 KB.
    const hours = 256;
    await phone.records.put(
      Array.from({ length: hours * 12 }, (_, i) => ({ ...reading(i, 80 + (i % 200)), time: t0 + i * 300_000 })),
    );
    await phone.sync.sync();
    const big = (level: number) => blocksOn(server, phone.log.patient).filter((b) => b.level === level);
    expect(big(8).length).toBe(1);
    const late = (i: number): StewardRecord => ({
      id: `late-${i}`,
      type: "cgm",
      time: t0 + 7 * MS_PER_HOUR + i * 1000,
      body: { mgdl: 60 + i },
    });
    await phone.records.put([late(0)]);
    await phone.sync.sync();
    // The hour's and small nodes' blocks were sealed again; the level-8 block still has its old basis.
    const basis8 = big(8)[0]!.basis;
    expect(
      big(1)
        .filter((b) => b.node === Math.floor((hour + 7) / 2))
        .every((b) => b.basis > basis8),
    ).toBe(true);
    const laptop = patientDevice(ring, server.transport("laptop"), "laptop");
    await laptop.sync.sync();
    const all = { scope: "glucose" as const, from: t0, to: t0 + hours * MS_PER_HOUR };
    expect((await laptop.records.query(all)).length).toBe(hours * 12 + 1);
    for (let i = 1; i < RESEAL_LATE_ENVELOPES; i++) {
      await phone.records.put([late(i)]);
      await phone.sync.sync();
    }
    expect(big(8)[0]!.basis).toBeGreaterThan(basis8);
    expect(big(8).length).toBe(1);
    phone.log.evict();
    expect((await phone.records.query(all)).length).toBe(hours * 12 + RESEAL_LATE_ENVELOPES);
  }, 120_000);

  it("sealed for an hour again after a larger block replaced its first one hold the whole hour, as one-hour grants read it", async () => {
    const server = new MemoryServer();
    const phone = patientDevice(ring, server.transport("phone"), "phone");
    // The level-0 block of these five goes on settling (the level-1..13 blocks hold as much), and
    // its envelopes keep only their prefixes: their content is in those larger blocks now.
    await fiveUpdates(phone);
    expect(await phone.db.blocks.filter((b) => b.level === 0).count()).toBe(0);
    await fiveUpdates(phone, 5);
    const newest = blocksOn(server, phone.log.patient)
      .filter((b) => b.level === 0)
      .sort((a, b) => b.basis - a.basis)[0]!;
    expect(newest.count).toBe(10);
    const row = server
      .log(phone.log.patient)
      .find(
        (r) => objectKind(r.bytes) === "block" && toHex(decodeBlock(r.bytes).header.blockId) === toHex(newest.blockId),
      )!;
    const keys = ownKeySource(ring);
    const content = decodeContent(
      openBlock(decodeBlock(row.bytes), keys.nodeKey("glucose", newest.generation, { height: 0, index: hour })),
      { scope: "glucose", first: hour, last: hour },
    );
    expect(mgdls([...content.readings]).sort()).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  });

  it("that the server refuses are dropped and sealed again later; nothing is lost meanwhile", async () => {
    const server = new MemoryServer();
    const phone = patientDevice(ring, server.transport("phone"), "phone");
    server.refuseBlock = (b) => b.level === 0;
    await fiveUpdates(phone);
    expect(blocksOn(server, phone.log.patient).filter((b) => b.level === 0)).toEqual([]);
    expect(await hourRows(phone)).toEqual({ whole: 5, prefixOnly: 0 });
    expect(mgdls(await reread(phone))).toEqual([100, 101, 102, 103, 104]);
    server.refuseBlock = undefined;
    await phone.sync.sync();
    expect(blocksOn(server, phone.log.patient).filter((b) => b.level === 0).length).toBe(1);
    expect(mgdls(await reread(phone))).toEqual([100, 101, 102, 103, 104]);
  });

  it("keep each generation apart: after a rotation, old hours are sealed under the generation their data has", async () => {
    const rotatingRing = createKeyRing(true, "test").ring;
    const server = new MemoryServer();
    const phone = patientDevice(rotatingRing, server.transport("phone"), "phone");
    await fiveUpdates(phone);
    rotateScopes(rotatingRing.data!, ["glucose"]);
    const after = patientDevice(rotatingRing, server.transport("phone"), "phone");
    await after.sync.sync();
    await after.records.put([reading(50, 77)]);
    await after.sync.push();
    await after.records.put([reading(51, 78)]);
    await after.sync.sync();
    const level0 = blocksOn(server, phone.log.patient).filter((b) => b.level === 0);
    expect(level0.map((b) => b.generation).sort()).toEqual([1, 2]);
    expect(mgdls(await reread(after))).toEqual([100, 101, 102, 103, 104, 77, 78]);
  });
});
