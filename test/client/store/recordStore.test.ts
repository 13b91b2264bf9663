import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { GapDetected, StewardError } from "../../../shared/errors.js";
import { loadSodium } from "../../../crypto/sodium.js";
import type { StewardRecord } from "../../../shared/records.js";
import { createKeyRing, type KeyRing } from "../../../client/keyRing.js";
import { MemoryServer } from "../../helpers/memoryServer.js";
import { patientDevice } from "../../helpers/patientDevice.js";

const device = (ring: KeyRing) => patientDevice(ring, new MemoryServer().transport(), "record-store-test");

/** What a server would hand the other device: this device's writes, sealed into envelopes, in order. */
async function deliver(from: ReturnType<typeof device>, to: ReturnType<typeof device>, firstSeq: number) {
  await from.log.sealWrites();
  const pending = await from.log.outgoing(Infinity);
  const items = pending.map((p, i) => ({ seq: firstSeq + i, compacted: false, bytes: p.bytes }));
  await from.log.acknowledge(pending.map((p, i) => ({ id: p.id, seq: firstSeq + i })));
  await to.log.ingest(items, firstSeq + items.length - 1);
  return items;
}

const hour = 480_000;
const t0 = hour * 3_600_000;
const cgm = (i: number, mgdl: number): StewardRecord => ({
  id: `cgm-${i}`,
  type: "cgm",
  time: t0 + i * 300_000,
  deviceId: "dexcom-1",
  body: { mgdl },
});

describe("record store", () => {
  let ring: KeyRing;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
  });

  it("keeps records written offline, one envelope per shard, and re-putting the same data writes nothing", async () => {
    const phone = device(ring);
    const readings = Array.from({ length: 36 }, (_, i) => cgm(i, 100 + i));
    expect(await phone.records.put(readings)).toBe(3);
    expect(await phone.records.put(readings)).toBe(0);
    expect(await phone.log.sealWrites()).toBe(3);
    const got = await phone.records.query({ scope: "glucose", from: t0, to: t0 + 3 * 3_600_000 });
    expect(got.map((r) => r.id)).toEqual(readings.map((r) => r.id));
    expect(await phone.records.query({ scope: "insulin", from: t0, to: t0 + 3 * 3_600_000 })).toEqual([]);
  });

  it("writing one record at a time sees every write before it, also one over several hours", async () => {
    const phone = device(ring);
    expect(await phone.records.put([cgm(1, 150)])).toBe(1);
    // cgm-13 lies in the next hour: one put, two hours.
    expect(await phone.records.put([cgm(2, 151), cgm(13, 152)])).toBe(2);
    expect(await phone.records.put([cgm(2, 151)])).toBe(0);
    expect(await phone.records.put([cgm(13, 160)])).toBe(1);
    expect(await phone.log.pendingCount()).toBe(4);
    const got = await phone.records.query({ scope: "glucose", from: t0, to: t0 + 2 * 3_600_000 });
    expect(got.map((r) => [r.id, r.type === "cgm" && r.body.mgdl])).toEqual([
      ["cgm-1", 150],
      ["cgm-2", 151],
      ["cgm-13", 160],
    ]);
  });

  it("stores only ciphertext: no reading value appears in IndexedDB", async () => {
    const phone = device(ring);
    await phone.records.put([
      { id: "note-secret", type: "note", time: t0, body: { text: "hypo after running 987654" } },
    ]);
    const rows = [...(await phone.db.writes.toArray()), ...(await phone.db.envelopes.toArray())];
    expect(rows.length).toBeGreaterThan(0);
    const all = rows.map((r) => Buffer.from(r.bytes).toString("latin1")).join("");
    expect(all).not.toContain("987654");
    expect(all).not.toContain("hypo");
  });

  it("two devices editing the same note offline converge, keeping both edits", async () => {
    const phone = device(ring);
    const laptop = device(ring);
    const note: StewardRecord = { id: "note-1", type: "note", time: t0, body: { text: "ate pasta" } };
    await phone.records.put([note]);
    await deliver(phone, laptop, 1);
    await phone.records.put([{ ...note, body: { text: "ate pasta, then walked" } }]);
    await laptop.records.put([{ ...note, body: { text: "Dinner: ate pasta" } }]);
    await deliver(phone, laptop, 2);
    await deliver(laptop, phone, 3);
    const a = await phone.records.query({ scope: "events", from: t0, to: t0 });
    const b = await laptop.records.query({ scope: "events", from: t0, to: t0 });
    expect(a).toEqual(b);
    expect(a[0]!.type === "note" && a[0]!.body.text).toBe("Dinner: ate pasta, then walked");
  });

  it("deletes by tombstone on every device", async () => {
    const phone = device(ring);
    const laptop = device(ring);
    await phone.records.put([cgm(1, 150), cgm(2, 160)]);
    await deliver(phone, laptop, 1);
    await laptop.records.delete(cgm(1, 150));
    await deliver(laptop, phone, 2);
    expect((await phone.records.query({ scope: "glucose", from: t0, to: t0 + 3_600_000 })).map((r) => r.id)).toEqual([
      "cgm-2",
    ]);
  });

  it("refuses a tampered envelope, a replay and a gap with typed errors, storing none of them", async () => {
    const phone = device(ring);
    const laptop = device(ring);
    await phone.records.put([cgm(1, 150)]);
    await phone.records.put([cgm(30, 151)]);
    await phone.records.put([cgm(60, 152)]);
    await phone.log.sealWrites();
    const pending = await phone.log.outgoing(Infinity);
    const tampered = pending[0]!.bytes.slice();
    tampered[tampered.length - 1]! ^= 1;
    await expect(laptop.log.ingest([{ seq: 1, compacted: false, bytes: tampered }], 1)).rejects.toBeInstanceOf(
      StewardError,
    );
    await expect(laptop.log.ingest([{ seq: 1, compacted: false, bytes: pending[1]!.bytes }], 1)).rejects.toBeInstanceOf(
      GapDetected,
    );
    expect(await laptop.db.envelopes.count()).toBe(0);
    await laptop.log.ingest([{ seq: 1, compacted: false, bytes: pending[0]!.bytes }], 1);
    // Envelope 1 again under a new server seq is a duplicate, ignored; envelope 3 without 2 is a gap.
    await laptop.log.ingest([{ seq: 4, compacted: false, bytes: pending[0]!.bytes }], 4);
    await expect(laptop.log.ingest([{ seq: 5, compacted: false, bytes: pending[2]!.bytes }], 5)).rejects.toBeInstanceOf(
      GapDetected,
    );
    expect(
      (await laptop.records.query({ scope: "glucose", from: t0, to: t0 + 10 * 3_600_000 })).map((r) => r.id),
    ).toEqual(["cgm-1"]);
  });

  it("an envelope pulled into an hour already on screen shows beside the hour's own pending writes, edits included", async () => {
    const phone = device(ring);
    const laptop = device(ring);
    const range = { scope: "glucose" as const, from: t0, to: t0 + 3_599_999 };
    const shown = async () => (await laptop.records.query(range)).map((r) => [r.id, r.type === "cgm" && r.body.mgdl]);
    await phone.records.put([cgm(1, 120), cgm(3, 100)]);
    await deliver(phone, laptop, 1);
    await laptop.records.put([cgm(2, 130)]);
    expect(await shown()).toEqual([
      ["cgm-1", 120],
      ["cgm-2", 130],
      ["cgm-3", 100],
    ]);
    // The phone corrects a reading: the laptop, which read the hour a moment ago, shows the correction.
    await phone.records.put([cgm(3, 104), cgm(4, 140)]);
    await deliver(phone, laptop, 2);
    expect(await shown()).toEqual([
      ["cgm-1", 120],
      ["cgm-2", 130],
      ["cgm-3", 104],
      ["cgm-4", 140],
    ]);
  });
});
