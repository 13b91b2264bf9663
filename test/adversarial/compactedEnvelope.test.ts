// A server that passes an envelope off as compacted: it serves only the envelope's signed header, as
// if a block held its content, to a freshly recovered patient device. The real patient SDK against
// the real worker, with the evil server in between. Under the v1 log the device took the header on
// its word and a 45 mg/dL reading was gone for good, even once the server behaved; now a prefix-only
// envelope is taken only beside a verified block whose manifest lists it, so the device raises
// TamperedEnvelope, keeps nothing of that envelope, and shows the reading when the server behaves.
// (The test touches only the page frame's entries, so the same file runs against the v1 code.)
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Patient, type StewardRecord } from "../../client/index.js";
import { fromUtf8 } from "../../shared/bytes.js";
import { PREFIX_BYTES } from "../../shared/envelopeCodec.js";
import { TamperedEnvelope } from "../../shared/errors.js";
import { decodePage, encodePage, type PageEntry } from "../../shared/syncFrames.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { EvilServer } from "../helpers/evilServer.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let evil: EvilServer;
const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

const cgm = (id: string, time: number, mgdl: number): StewardRecord => ({
  id,
  type: "cgm",
  time,
  deviceId: "g7-test",
  body: { mgdl },
});
const isEnvelope = (e: PageEntry) => fromUtf8(e.bytes.subarray(0, 4), "magic") === "STWE";

beforeAll(async () => {
  worker = await startWorker();
  evil = await EvilServer.start(worker.url);
}, 120_000);
afterAll(async () => {
  await evil?.close();
  await worker?.stop();
});

describe("an envelope the server serves as compacted, with no block that holds it", () => {
  it("is refused by a freshly recovered device with TamperedEnvelope, nothing of it kept, and the 45 mg/dL reading shows once the server behaves", async () => {
    const handle = `cmp${unique()}`;
    const { patient: phone, recoveryCode } = await Patient.create({
      server: evil.url,
      handle,
      database: `cmp-phone-${unique()}`,
    });
    // This hour's readings (no block can hold an open hour), the low one written last, on its own.
    const hourStart = Math.floor(Date.now() / HOUR) * HOUR;
    const earlier = [cgm("cgm-a", hourStart, 110), cgm("cgm-b", hourStart + 60_000, 96)];
    const low = cgm("cgm-low", hourStart + 120_000, 45);
    await phone.records.put(earlier);
    await phone.sync.sync();
    await phone.records.put([low]);
    await phone.sync.sync();
    const range = { scope: "glucose" as const, from: hourStart, to: hourStart + HOUR - 1 };
    expect((await phone.records.query(range)).map((r) => r.id)).toEqual(["cgm-a", "cgm-b", "cgm-low"]);
    await phone.close();

    // The server serves the newest envelope of every pull as its signed header alone, marked compacted.
    let forged = 0;
    const stop = evil.rewrite((request, reply) => {
      if (
        request.method !== "GET" ||
        !/^\/v1\/patients\/[^/]+\/envelopes$/.test(request.url.pathname) ||
        reply.status !== 200
      )
        return reply;
      const page = decodePage(reply.body);
      const last = page.entries
        .map((e, i) => (isEnvelope(e) && !e.compacted ? i : -1))
        .filter((i) => i >= 0)
        .pop();
      if (last === undefined) return reply;
      forged++;
      const entries = page.entries.map((e, i) =>
        i === last ? { ...e, compacted: true, bytes: e.bytes.slice(0, PREFIX_BYTES) } : e,
      );
      return { ...reply, body: encodePage({ ...page, entries }) };
    });

    const recovered = await Patient.recover({
      server: evil.url,
      handle,
      recoveryCode,
      database: `cmp-recovered-${unique()}`,
    });
    try {
      await expect(recovered.sync.sync()).rejects.toBeInstanceOf(TamperedEnvelope);
      expect(forged).toBeGreaterThan(0);
      // What came before the forged entry is kept; nothing of the forged one is.
      expect((await recovered.records.query(range)).map((r) => r.id)).toEqual(["cgm-a", "cgm-b"]);

      stop();
      await recovered.sync.sync();
      const shown = await recovered.records.query(range);
      expect(shown.map((r) => r.id)).toEqual(["cgm-a", "cgm-b", "cgm-low"]);
      expect(shown.find((r) => r.id === "cgm-low")).toMatchObject({ body: { mgdl: 45 } });
    } finally {
      stop();
      await recovered.close();
    }
  }, 120_000);
});
