// Client compaction end to end: the patient's phone compacts closed shards through the real worker,
// and linked devices, one from before and one from after, read the same records; a fresh device
// pulls fewer bytes.
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Patient, type StewardRecord } from "../../client/index.js";
import { startWorker, type LocalWorker } from "./localWorker.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let n = 0;
const unique = () => `${Date.now().toString(36)}${n++}`;

/** A fetch that counts the bytes of every pull page it receives. */
function countingFetch() {
  const counter = { pulled: 0 };
  const fetcher: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if ((init?.method ?? "GET") === "GET" && url.pathname.endsWith("/envelopes")) counter.pulled += (await response.clone().arrayBuffer()).byteLength;
    return response;
  };
  return { counter, fetch: fetcher };
}

async function link(phone: Patient, fetcher: typeof fetch): Promise<Patient> {
  const request = await Patient.requestLink({ server: worker.url, database: `compaction-${unique()}`, fetch: fetcher });
  const approval = await phone.approveLink(request.code);
  await request.sas();
  await approval.confirm();
  return request.complete();
}

beforeAll(async () => {
  worker = await startWorker();
}, 120_000);
afterAll(async () => worker?.stop());

describe("compaction against the real worker", () => {
  it("a phone compacts shards written over several syncs; linked devices recover every record, and a new one pulls fewer bytes", async () => {
    const { patient: phone } = await Patient.create({ server: worker.url, handle: `cmp${unique()}`, database: `compaction-phone-${unique()}` });
    const start = (Math.floor(Date.now() / HOUR) - 72) * HOUR;
    const readings: StewardRecord[] = [];
    // Two hours three days ago, each written five minutes at a time, one sync per reading.
    for (const hour of [0, 1]) {
      for (let i = 0; i < 12; i++) {
        const reading: StewardRecord = { id: `cgm-${hour}-${i}`, type: "cgm", time: start + hour * HOUR + i * 300_000, deviceId: "g7-test", body: { mgdl: 90 + i } };
        readings.push(reading);
        await phone.records.put([reading]);
        await phone.sync.sync();
      }
    }
    // Written just now: an open shard, left alone.
    await phone.records.put([{ id: "recent", type: "cgm", time: Date.now(), deviceId: "g7-test", body: { mgdl: 120 } }]);
    await phone.sync.sync();
    const range = { scope: "glucose" as const, from: start, to: Date.now() + HOUR };
    const expected = await phone.records.query(range);
    expect(expected).toHaveLength(readings.length + 1);

    const before = countingFetch();
    const laptop = await link(phone, before.fetch);
    before.counter.pulled = 0;
    await laptop.sync.sync();
    expect(await laptop.records.query(range)).toEqual(expected);

    expect(await phone.compact()).toBe(2);
    await phone.sync.sync();
    expect(phone.sync.status.pending).toBe(0);
    expect(await phone.compact()).toBe(0);

    const after = countingFetch();
    const tablet = await link(phone, after.fetch);
    after.counter.pulled = 0;
    await tablet.sync.sync();
    expect(await tablet.records.query(range)).toEqual(expected);
    expect(after.counter.pulled).toBeLessThan(before.counter.pulled);

    // The laptop, which holds the bodies, takes the compactions in and still reads everything.
    await laptop.sync.sync();
    expect(await laptop.records.query(range)).toEqual(expected);
    // New writes after the compaction continue the phone's chain on the server.
    await phone.records.put([{ id: "later", type: "cgm", time: Date.now(), deviceId: "g7-test", body: { mgdl: 121 } }]);
    await phone.sync.sync();
    await tablet.sync.sync();
    expect((await tablet.records.query(range)).map((r) => r.id)).toContain("later");
    for (const device of [phone, laptop, tablet]) await device.close();
  }, 120_000);
});
