import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { RollbackDetected } from "../../../shared/errors.js";
import { loadSodium } from "../../../crypto/sodium.js";
import type { StewardRecord } from "../../../shared/records.js";
import { createKeyRing, type KeyRing } from "../../../client/keyRing.js";
import { backoffDelay } from "../../../client/sync/syncEngine.js";
import { objectKind } from "../../../shared/syncFrames.js";
import { MemoryServer } from "../../helpers/memoryServer.js";
import { patientDevice } from "../../helpers/patientDevice.js";

const device = (ring: KeyRing, server: MemoryServer) => patientDevice(ring, server.transport(), "sync-test");

const t0 = 480_000 * 3_600_000;
const week = Array.from(
  { length: 2016 },
  (_, i): StewardRecord => ({
    id: `cgm-${i}`,
    type: "cgm",
    time: t0 + i * 300_000,
    deviceId: "g7",
    body: { mgdl: 70 + (i % 150) },
  }),
);

describe("sync engine", () => {
  let ring: KeyRing;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
  });

  it("a week written offline on the phone and a note edited on the laptop converge on both, nothing lost or doubled", async () => {
    const server = new MemoryServer();
    server.pageSize = 50;
    const phone = device(ring, server);
    const laptop = device(ring, server);
    const note: StewardRecord = { id: "note-1", type: "note", time: t0, body: { text: "sensor change" } };
    await phone.records.put([note]);
    await phone.sync.sync();
    await laptop.sync.sync();
    await phone.records.put(week);
    await phone.records.put([{ ...note, body: { text: "sensor change, left arm" } }]);
    await laptop.records.put([{ ...note, body: { text: "G7 sensor change" } }]);
    await phone.sync.sync();
    await laptop.sync.sync();
    await phone.sync.sync();
    const range = { from: t0, to: t0 + 7 * 86_400_000 };
    for (const d of [phone, laptop]) {
      const cgm = await d.records.query({ scope: "glucose", ...range });
      expect(cgm.length).toBe(2016);
      expect(new Set(cgm.map((r) => r.id)).size).toBe(2016);
      const notes = await d.records.query({ scope: "events", ...range });
      expect(notes.map((r) => r.type === "note" && r.body.text)).toEqual(["G7 sensor change, left arm"]);
    }
    expect(phone.sync.status.pending).toBe(0);
  });

  it("a crash between send and ack resends without storing anything twice", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server);
    await phone.records.put(week.slice(0, 24));
    server.loseNextAck = true;
    await expect(phone.sync.sync()).rejects.toThrow(/network/);
    expect(phone.sync.status.pending).toBe(2);
    await phone.sync.sync();
    expect(phone.sync.status.pending).toBe(0);
    // Two hour envelopes, once each (and the block sealed for their closed two hours).
    expect(server.log(phone.log.patient).filter((r) => objectKind(r.bytes) === "envelope").length).toBe(2);
  });

  it("a server rolled back to an older snapshot is detected, not believed", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server);
    const laptop = device(ring, server);
    await phone.records.put(week.slice(0, 12));
    await phone.sync.sync();
    const before = server.snapshot();
    await phone.records.put(week.slice(12, 24));
    await phone.sync.sync();
    await laptop.sync.sync();
    server.restore(before);
    await expect(laptop.sync.pull()).rejects.toBeInstanceOf(RollbackDetected);
  });

  it("live updates reach a following device", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server);
    const laptop = device(ring, server);
    await laptop.sync.follow();
    const seen = new Promise<void>((resolve) => laptop.records.subscribe(() => resolve()));
    await phone.records.put(week.slice(0, 1));
    await phone.sync.sync();
    await seen;
    expect((await laptop.records.query({ scope: "glucose", from: t0, to: t0 })).length).toBe(1);
    await laptop.sync.stop();
  });

  it("says it is syncing while a sync runs, and not once it is done", async () => {
    const phone = device(ring, new MemoryServer());
    await phone.records.put(week.slice(0, 12));
    const seen: boolean[] = [];
    const stop = phone.sync.onStatus((s) => seen.push(s.syncing));
    const run = phone.sync.sync();
    await run;
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop();
    expect(seen).toContain(true);
    expect(phone.sync.status.syncing).toBe(false);
    expect(phone.sync.status.pending).toBe(0);
  });

  it("a write whose push failed while following is sent by the engine itself, with nobody asking again", async () => {
    const server = new MemoryServer();
    const phone = device(ring, server);
    await phone.sync.follow();
    await phone.records.put(week.slice(0, 1));
    server.failNextPush = true;
    await expect(phone.sync.sync()).rejects.toThrow();
    expect(phone.sync.status.pending).toBeGreaterThan(0);
    await new Promise<void>((resolve) => {
      const stop = phone.sync.onStatus((s) => {
        if (s.pending === 0 && !s.syncing && !s.error) {
          stop();
          resolve();
        }
      });
    });
    expect(server.log(phone.log.patient).length).toBeGreaterThan(0);
    await phone.sync.stop();
  });

  it("backs off exponentially with full jitter, capped", () => {
    const opts = { baseMs: 100, maxMs: 5_000, random: () => 0.999 };
    expect(backoffDelay(0, opts)).toBe(99);
    expect(backoffDelay(3, opts)).toBe(799);
    expect(backoffDelay(20, opts)).toBe(4995);
    expect(backoffDelay(5, { ...opts, random: () => 0 })).toBe(0);
  });
});
