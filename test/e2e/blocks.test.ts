// Blocks end to end: the patient's phone writes closed hours one reading at a time through the real
// worker; its syncs seal them into blocks that replace the hours' envelopes. A linked device reads
// the same records from the envelopes' prefixes and the blocks that hold them, a clinician opens the
// hours as blocks without a single envelope of them, and new writes continue the phone's chain.
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Grantee, Patient, type StewardRecord } from "../../client/index.js";
import { StewardDatabase } from "../../client/store/database.js";
import { startWorker, type LocalWorker } from "./localWorker.js";
import { linkDevice, shareWith, unique } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;

async function link(phone: Patient): Promise<{ device: Patient; database: string }> {
  const database = `blocks-${unique()}`;
  return { device: await linkDevice(phone, { server: worker.url, database }), database };
}

beforeAll(async () => {
  worker = await startWorker();
}, 120_000);
afterAll(async () => worker?.stop());

describe("blocks against the real worker", () => {
  it("replace closed hours written reading by reading; a linked device and a clinician read the same, the clinician from blocks alone", async () => {
    const phoneDb = `blocks-phone-${unique()}`;
    const { patient: phone } = await Patient.create({
      server: worker.url,
      handle: `blk${unique()}`,
      database: phoneDb,
    });
    const start = (Math.floor(Date.now() / HOUR) - 72) * HOUR;
    const readings: StewardRecord[] = [];
    // Two hours three days ago, each written five minutes at a time, one sync per reading.
    for (const hour of [0, 1]) {
      for (let i = 0; i < 12; i++) {
        const reading: StewardRecord = {
          id: `cgm-${hour}-${i}`,
          type: "cgm",
          time: start + hour * HOUR + i * 300_000,
          deviceId: "g7-test",
          body: { mgdl: 90 + i },
        };
        readings.push(reading);
        await phone.records.put([reading]);
        await phone.sync.sync();
      }
    }
    // Written just now: an open hour, left as an envelope.
    await phone.records.put([
      { id: "recent", type: "cgm", time: Date.now(), deviceId: "g7-test", body: { mgdl: 120 } },
    ]);
    await phone.sync.sync();
    expect(phone.sync.status.pending).toBe(0);
    const range = { scope: "glucose" as const, from: start, to: Date.now() + HOUR };
    const expected = await phone.records.query(range);
    expect(expected).toHaveLength(readings.length + 1);

    const { device: laptop, database } = await link(phone);
    await laptop.sync.sync();
    expect(await laptop.records.query(range)).toEqual(expected);
    // The laptop was served the closed hours' envelopes as prefixes, beside the blocks that hold them.
    const laptopDb = new StewardDatabase(database);
    const rows = await laptopDb.envelopes.toArray();
    expect(rows.filter((r) => r.whole === 0).length).toBe(24);
    laptopDb.close();

    const { grantee: clinician } = await Grantee.create({
      server: worker.url,
      handle: `drblk${unique()}`,
      database: `blocks-clinic-${unique()}`,
    });
    await shareWith(phone, clinician, {
      scopes: ["glucose"],
      from: start,
      to: start + 2 * HOUR - 1,
      expiresAt: Date.now() + 24 * HOUR,
    });
    const view = await clinician.open((await clinician.shares())[0]!.grantId);
    await view.sync.sync();
    expect(await view.records.query({ scope: "glucose", from: start, to: start + 2 * HOUR - 1 })).toEqual(
      expected.slice(0, 24),
    );
    expect((await view.records.log.db.envelopes.toArray()).length).toBe(0);
    expect((await view.records.log.db.blocks.toArray()).length).toBeGreaterThan(0);

    // New writes continue the phone's chain on the server.
    await phone.records.put([{ id: "later", type: "cgm", time: Date.now(), deviceId: "g7-test", body: { mgdl: 121 } }]);
    await phone.sync.sync();
    await laptop.sync.sync();
    expect((await laptop.records.query(range)).map((r) => r.id)).toContain("later");
    await view.close();
    for (const device of [phone, laptop, clinician]) await device.close();
  }, 120_000);
});
