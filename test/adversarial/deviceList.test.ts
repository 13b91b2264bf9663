// A device the patient links after sharing, as a clinician's view meets it: fetched with the
// device list when its first envelope arrives; a server that keeps serving the older list is caught
// by the patient's heads, which name the list the devices write under.
import "fake-indexeddb/auto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadSodium } from "../../crypto/sodium.js";
import { Grantee, Patient, WithheldData } from "../../client/index.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { EvilServer, type Reply, type SeenRequest } from "../helpers/evilServer.js";
import { linkDevice, shareWith } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let evil: EvilServer;
let unique = 0;
const name = (prefix: string) => `${prefix}${Date.now() % 1_000_000}x${unique++}`;
const options = (prefix: string) => ({ server: evil.url, database: name(`list-${prefix}`) });
const reading = (id: string, mgdl: number, time = Date.now()) => ({ id, type: "cgm" as const, time, body: { mgdl } });
const ids = async (records: { query: Patient["records"]["query"] }) =>
  (await records.query({ scope: "glucose", from: Date.now() - 3 * HOUR, to: Date.now() + HOUR }))
    .map((r) => r.id)
    .sort();
const isDeviceList = (r: SeenRequest) => r.method === "GET" && r.url.pathname.endsWith("/devices");

describe("a device linked after a share, as the clinician meets it", () => {
  beforeAll(async () => {
    await loadSodium();
    worker = await startWorker();
    evil = await EvilServer.start(worker.url);
  }, 120_000);
  afterEach(() => evil.behave());
  afterAll(async () => {
    await evil?.close();
    await worker?.stop();
  });

  for (const serveOld of [false, true]) {
    it(`a device linked after the share was issued, ${serveOld ? "with the list from before the link served: the view is told data is held back (WithheldData), then catches up" : "honest server: its reading shows, the list fetched again"}`, async () => {
      const { patient: phone } = await Patient.create({ ...options("phone"), handle: name("dl"), deviceName: "Phone" });
      const { grantee: clinic } = await Grantee.create({ ...options("clinic"), handle: name("clinic") });
      const grant = await shareWith(phone, clinic, {
        scopes: ["glucose"],
        from: Date.now() - 2 * HOUR,
        to: Date.now() + HOUR,
        expiresAt: Date.now() + 24 * HOUR,
      });
      await phone.records.put([reading("p1", 120, Date.now() - HOUR)]);
      await phone.sync.sync();
      let oldList: Reply | undefined;
      const keep = evil.rewrite((request, reply) => {
        if (isDeviceList(request)) oldList = reply;
        return reply;
      });
      const first = await clinic.open(grant.grantId);
      await first.sync.sync();
      await first.close();
      keep();
      expect(await ids(first.records)).toEqual(["p1"]);

      const tablet = await linkDevice(phone, { ...options("tablet"), deviceName: "Tablet" });
      await tablet.records.put([reading("t1", 45, Date.now() - HOUR)]);
      await tablet.sync.sync();
      await phone.sync.sync();
      if (serveOld) evil.answer((request) => (isDeviceList(request) && oldList ? oldList : undefined));
      const view = await clinic.open(grant.grantId);
      const outcome = await view.sync.sync().then(
        () => undefined,
        (e: unknown) => e,
      );
      const shown = await ids(view.records);
      if (serveOld) {
        // The phone's head names the list with the link: the view is told data is held back, and
        // takes the tablet's reading in once the server serves the list.
        expect(outcome).toBeInstanceOf(WithheldData);
        expect(shown).toEqual(["p1"]);
        evil.behave();
        await view.sync.sync();
        expect(await ids(view.records)).toEqual(["p1", "t1"]);
      } else {
        expect(outcome).toBeUndefined();
        expect(shown).toEqual(["p1", "t1"]);
        expect(view.unverifiable).toBe(0);
      }
      await view.close();
      await phone.close();
      await tablet.close();
      await clinic.close();
    });
  }
});
