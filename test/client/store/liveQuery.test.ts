// records.live: a screen's query answers at once, again when data lands in its scope and hours (and
// only then: the first change at once), at most once a pause while an import writes, and never after
// it is stopped.
import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { createKeyRing, type KeyRing } from "../../../client/keyRing.js";
import { liveQuery, type LiveResult } from "../../../client/store/liveQuery.js";
import type { StewardRecord } from "../../../shared/records.js";
import { loadSodium } from "../../../crypto/sodium.js";
import { MemoryServer } from "../../helpers/memoryServer.js";
import { patientDevice } from "../../helpers/patientDevice.js";

const HOUR = 3_600_000;
const t0 = 480_000 * HOUR;
const cgm = (i: number, mgdl = 100): StewardRecord => ({
  id: `cgm-${i}`,
  type: "cgm",
  time: t0 + i * 300_000,
  deviceId: "dexcom-1",
  body: { mgdl },
});
const meal = (time: number): StewardRecord => ({ id: `meal-${time}`, type: "food", time, body: { carbsG: 40 } });
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects what a live query hears, and resolves `next` on the next answer. */
function recorder<T = StewardRecord[]>() {
  const heard: LiveResult<T>[] = [];
  let wake: (() => void) | undefined;
  return {
    heard,
    listener: (result: LiveResult<T>) => {
      heard.push(result);
      wake?.();
    },
    next: () => new Promise<void>((resolve) => (wake = resolve)),
  };
}

describe("records.live", () => {
  let ring: KeyRing;
  beforeAll(async () => {
    await loadSodium();
    ring = createKeyRing(true, "test").ring;
  });

  it("answers with what is stored, then again when a write lands in its hours", async () => {
    const phone = patientDevice(ring, new MemoryServer().transport(), "live-query");
    await phone.records.put([cgm(0, 90)]);
    const r = recorder();
    const first = r.next();
    const stop = phone.records.live({ scope: "glucose", from: t0, to: t0 + 2 * HOUR - 1 }, r.listener);
    await first;
    expect(r.heard[0]?.records?.map((x) => x.id)).toEqual(["cgm-0"]);
    const second = r.next();
    await phone.records.put([cgm(1, 45)]);
    await second;
    expect(r.heard.at(-1)?.records?.map((x) => x.body)).toEqual([{ mgdl: 90 }, { mgdl: 45 }]);
    stop();
    await phone.close();
  });

  it("stays quiet for writes in another scope or outside its hours, and after it is stopped", async () => {
    const phone = patientDevice(ring, new MemoryServer().transport(), "live-query");
    const r = recorder();
    const first = r.next();
    const stop = phone.records.live({ scope: "glucose", from: t0, to: t0 + HOUR - 1 }, r.listener);
    await first;
    await phone.records.put([meal(t0 + 600_000), cgm(24)]);
    await settle(1_500);
    expect(r.heard).toHaveLength(1);
    stop();
    await phone.records.put([cgm(2)]);
    await settle(1_500);
    expect(r.heard).toHaveLength(1);
    await phone.close();
  });

  it("reads a burst of writes a few times, not once per write, and ends with all of them", async () => {
    const phone = patientDevice(ring, new MemoryServer().transport(), "live-query");
    const r = recorder();
    const first = r.next();
    const stop = phone.records.live({ scope: "glucose", from: t0, to: t0 + 48 * HOUR }, r.listener);
    await first;
    for (let i = 0; i < 40; i++) await phone.records.put([cgm(i * 12)]);
    await settle(2_500);
    expect(r.heard.length).toBeLessThan(10);
    expect(r.heard.at(-1)?.records).toHaveLength(40);
    stop();
    await phone.close();
  });

  it("watches several queries as one: a change to any reads them all, together", async () => {
    const phone = patientDevice(ring, new MemoryServer().transport(), "live-query");
    await phone.records.put([cgm(0, 90)]);
    const r = recorder<StewardRecord[][]>();
    const first = r.next();
    const period = { from: t0, to: t0 + 2 * HOUR - 1 };
    const stop = phone.records.live(
      [
        { scope: "glucose", ...period },
        { scope: "events", ...period },
      ],
      r.listener,
    );
    await first;
    expect(r.heard[0]?.records?.map((list) => list.length)).toEqual([1, 0]);
    const second = r.next();
    await phone.records.put([meal(t0 + 600_000)]);
    await second;
    expect(r.heard.at(-1)?.records?.map((list) => list.length)).toEqual([1, 1]);
    stop();
    await phone.close();
  });

  it("answers the first change after opening at once: a report opened before the first sync is not left empty", async () => {
    let stored: StewardRecord[] = [];
    let notify: ((changes: readonly { scope: "glucose"; hour: number }[]) => void) | undefined;
    const source = {
      query: () => Promise.resolve(stored),
      subscribe: (listener: typeof notify) => {
        notify = listener;
        return () => {};
      },
    };
    const r = recorder<StewardRecord[][]>();
    const stop = liveQuery(source, [{ scope: "glucose", from: t0, to: t0 + HOUR }], r.listener);
    await r.next();
    stored = [cgm(0)];
    const second = r.next();
    notify?.([{ scope: "glucose", hour: t0 / HOUR }]);
    // The pause between re-reads is a second; this answer must not wait for it.
    await Promise.race([
      second,
      settle(300).then(() => Promise.reject(new Error("the first change waited for the pause"))),
    ]);
    expect(r.heard.map((h) => h.records?.[0]?.length)).toEqual([0, 1]);
    stop();
  });

  it("hands a failed read to the listener as an error, not an unhandled rejection", async () => {
    const r = recorder<StewardRecord[][]>();
    const first = r.next();
    const source = { query: () => Promise.reject(new Error("the database was closed")), subscribe: () => () => {} };
    const stop = liveQuery(source, [{ scope: "glucose", from: 0, to: HOUR }], r.listener);
    await first;
    expect(r.heard).toEqual([{ error: new Error("the database was closed") }]);
    stop();
  });

  it("tries a failed read again by itself, so a screen is not left empty until the next change", async () => {
    let calls = 0;
    const source = {
      query: () => (++calls === 1 ? Promise.reject(new Error("a sync was half applied")) : Promise.resolve([cgm(0)])),
      subscribe: () => () => {},
    };
    const r = recorder<StewardRecord[][]>();
    const stop = liveQuery(source, [{ scope: "glucose", from: t0, to: t0 + HOUR }], r.listener);
    await r.next();
    await r.next();
    expect(r.heard.map((h) => h.error?.message ?? h.records?.[0]?.length)).toEqual(["a sync was half applied", 1]);
    stop();
  });
});
