// A server that lies by what it leaves out (#10): it hides a device's newest data from another
// device or from a clinician, keeps two of the patient's devices on separate histories, serves a
// device the key ring it already has after a revocation and acknowledges its writes under the
// retired keys, or relays what a revoked writer signs afterwards. The real Patient and Grantee
// devices talk to the real worker through the evil proxy; each attack ends in a typed error or in
// "possibly incomplete since", and nothing the device held is lost.
import "fake-indexeddb/auto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { bytesEqual, toHex } from "../../shared/bytes.js";
import { decodeEnvelope } from "../../shared/envelopeCodec.js";
import { RevokedAuthor, RollbackDetected, WithheldData } from "../../shared/errors.js";
import { decodeHead, STALE_AFTER_MS } from "../../shared/signedHead.js";
import { loadSodium } from "../../crypto/sodium.js";
import { decodePage, decodeUpload, encodePage, objectKind, type Page } from "../../shared/syncFrames.js";
import { Grantee, Patient, type SharedView } from "../../client/index.js";
import type { DeviceKeys } from "../../client/devices.js";
import { grantKeySource } from "../../client/keySource.js";
import { LocalLog } from "../../client/store/localLog.js";
import { StewardDatabase } from "../../client/store/database.js";
import { RecordStore } from "../../client/store/recordStore.js";
import type { AccountKeys } from "../../crypto/accountKeys.js";
import type { OpenedGrant } from "../../crypto/grant.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { EvilServer, jsonReply, type Reply, type SeenRequest } from "../helpers/evilServer.js";
import { linkDevice, shareWith } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let evil: EvilServer;
let unique = 0;
const name = (prefix: string) => `${prefix}${Date.now() % 1_000_000}x${unique++}`;
const options = (prefix: string) => ({ server: evil.url, database: name(`lying-${prefix}`) });
const reading = (id: string, mgdl: number, time = Date.now()) => ({ id, type: "cgm" as const, time, body: { mgdl } });
const ids = async (records: { query: RecordStore["query"] }) =>
  (await records.query({ scope: "glucose", from: Date.now() - 3 * HOUR, to: Date.now() + HOUR }))
    .map((r) => r.id)
    .sort();

const isPull = (r: SeenRequest) => r.method === "GET" && r.url.pathname.endsWith("/envelopes");
const isPush = (r: SeenRequest) => r.method === "POST" && r.url.pathname.endsWith("/envelopes");

/** The session token `act` uses (its requests are the only ones while it runs). */
async function tokenOf(act: () => Promise<unknown>): Promise<string> {
  const from = evil.seen.length;
  await act();
  const token = evil.seen.slice(from).find(isPull)?.headers.authorization;
  if (!token) throw new Error("no pull seen");
  return token;
}

/** Rewrites the pages the session `token` pulls. */
function rewritePages(token: string, edit: (page: Page) => Page): () => void {
  return evil.rewrite((request, reply) => {
    if (!isPull(request) || request.headers.authorization !== token || reply.status !== 200) return reply;
    return { ...reply, body: encodePage(edit(decodePage(reply.body))) };
  });
}

/** Whether a page entry was signed by this device key. */
const signedBy = (bytes: Uint8Array, key: Uint8Array) =>
  objectKind(bytes) === "envelope" && bytesEqual(decodeEnvelope(bytes).header.authorKey, key);
const deviceOf = (p: Patient) => (p as unknown as { device: DeviceKeys }).device;

async function linkedPair(prefix: string): Promise<{ phone: Patient; tablet: Patient }> {
  const { patient: phone } = await Patient.create({
    ...options(`${prefix}phone`),
    handle: name(prefix),
    deviceName: "Phone",
  });
  return { phone, tablet: await linkDevice(phone, { ...options(`${prefix}tablet`), deviceName: "Tablet" }) };
}

/** A patient with one reading, and a clinician it shares glucose with (the last two hours and the next). */
async function patientAndClinic(prefix: string): Promise<{ patient: Patient; clinic: Grantee; grantId: string }> {
  const { patient } = await Patient.create({ ...options(prefix), handle: name(prefix) });
  const { grantee: clinic } = await Grantee.create({ ...options(`${prefix}clinic`), handle: name("clinic") });
  const grant = await shareWith(patient, clinic, {
    scopes: ["glucose"],
    from: Date.now() - 2 * HOUR,
    to: Date.now() + HOUR,
    expiresAt: Date.now() + 24 * HOUR,
  });
  await patient.records.put([reading("r1", 120, Date.now() - HOUR)]);
  await patient.sync.sync();
  return { patient, clinic, grantId: grant.grantId };
}

describe("a server that lies by leaving things out", () => {
  beforeAll(async () => {
    await loadSodium();
    worker = await startWorker();
    evil = await EvilServer.start(worker.url);
  }, 120_000);

  afterEach(() => {
    evil.behave();
    vi.useRealTimers();
  });
  afterAll(async () => {
    await evil?.close();
    await worker?.stop();
  });

  it("T13 a fork kept up between two of the patient's devices: the tablet is told data is withheld, and once the phone's heads stop reaching it, that it may be incomplete", async () => {
    const { phone, tablet } = await linkedPair("t13");
    await phone.records.put([reading("r1", 120, Date.now() - HOUR)]);
    await phone.sync.sync();
    let servedHeads: Page["extras"];
    const token = await tokenOf(() => tablet.sync.sync());
    const record = rewritePages(token, (page) => ((servedHeads = page.extras), page));
    await tablet.sync.sync();
    record();
    expect(await ids(tablet.records)).toEqual(["r1"]);

    // The tablet's history stops where it is: the phone's new reading is never served to it.
    const phoneKey = deviceOf(phone).signKey;
    const fork = rewritePages(token, (page) => ({
      ...page,
      entries: page.entries.filter((e) => !signedBy(e.bytes, phoneKey)),
    }));
    await phone.records.put([reading("r2", 45)]);
    await phone.sync.sync();
    await expect(tablet.sync.sync()).rejects.toBeInstanceOf(WithheldData);
    expect(await ids(tablet.records)).toEqual(["r1"]);

    // The server also keeps serving the phone's old head: nothing to see within the heartbeat bound,
    // "possibly incomplete since" the phone's last head once it has passed.
    fork();
    rewritePages(token, (page) => ({
      ...page,
      entries: page.entries.filter((e) => !signedBy(e.bytes, phoneKey)),
      ...(servedHeads ? { extras: servedHeads } : {}),
    }));
    await tablet.sync.sync();
    expect(tablet.incompleteSince).toBeUndefined();
    const phoneHead = servedHeads!.map((e) => decodeHead(e.bytes)).find((h) => bytesEqual(h.authorKey, phoneKey))!;
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + STALE_AFTER_MS + 60_000 });
    await tablet.sync.sync();
    expect(tablet.incompleteSince).toBe(phoneHead.time);
    expect(tablet.sync.status.quietDevices).toEqual(["Phone"]);
    vi.useRealTimers();

    // Served honestly again, the tablet catches up and is complete.
    evil.behave();
    await phone.sync.push();
    await tablet.sync.sync();
    expect(await ids(tablet.records)).toEqual(["r1", "r2"]);
    expect(tablet.incompleteSince).toBeUndefined();
    await phone.close();
    await tablet.close();
  });

  it("T14 the newest readings withheld from a clinician are reported, not synced as success; with the heads hidden too, the view is possibly incomplete once the bound passes", async () => {
    const { patient, clinic } = await patientAndClinic("t14");
    let view: SharedView | undefined;
    let heads: Page["extras"];
    const token = await tokenOf(async () => {
      view = await clinic.open((await clinic.shares())[0]!.grantId);
      await view.sync.sync();
    });
    const record = rewritePages(token, (page) => ((heads = page.extras), page));
    await view!.sync.sync();
    record();
    expect(await ids(view!.records)).toEqual(["r1"]);

    await patient.records.put([reading("r2", 45)]);
    await patient.sync.sync();
    const withhold = rewritePages(token, (page) => ({ ...page, entries: [] }));
    await expect(view!.sync.sync()).rejects.toBeInstanceOf(WithheldData);
    withhold();
    rewritePages(token, (page) => ({ ...page, entries: [], ...(heads ? { extras: heads } : {}) }));
    await view!.sync.sync();
    expect(view!.incompleteSince).toBeUndefined();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + STALE_AFTER_MS + 60_000 });
    await view!.sync.sync();
    expect(view!.incompleteSince).toBeGreaterThan(0);
    expect(view!.sync.status.quietDevices).toHaveLength(1);
    expect(await ids(view!.records)).toEqual(["r1"]);
    vi.useRealTimers();

    evil.behave();
    await patient.sync.push();
    await view!.sync.sync();
    expect(await ids(view!.records)).toEqual(["r1", "r2"]);
    expect(view!.incompleteSince).toBeUndefined();
    await view!.close();
    await patient.close();
    await clinic.close();
  });

  it("T13 a clinician kept on old data is seen by the patient's device in the heads the clinician's receipts echo", async () => {
    const { patient, clinic, grantId } = await patientAndClinic("echo");
    let view: SharedView | undefined;
    let heads: Page["extras"];
    const token = await tokenOf(async () => {
      view = await clinic.open(grantId);
      await view.sync.sync();
    });
    const record = rewritePages(token, (page) => ((heads = page.extras), page));
    await view!.sync.sync();
    await view!.receipts.flush();
    await view!.close();
    record();
    expect((await patient.accessLog()).filter((e) => e.shownOlderThan !== undefined)).toEqual([]);

    // From now on the clinician is served nothing new, under the heads it already saw.
    rewritePages(token, (page) => ({ ...page, entries: [], ...(heads ? { extras: heads } : {}) }));
    await patient.records.put([reading("r2", 45)]);
    await patient.sync.sync();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + STALE_AFTER_MS + 60_000 });
    const again = await clinic.open(grantId);
    await again.sync.sync();
    await again.receipts.flush();
    await again.close();
    vi.useRealTimers();
    const flagged = (await patient.accessLog()).filter((e) => e.shownOlderThan !== undefined);
    expect(flagged.length).toBeGreaterThan(0);
    expect(new Set(flagged.map((e) => e.actor.accountId))).toEqual(new Set([clinic.accountId]));
    expect(flagged.every((e) => e.shownOlderThan! > 0 && e.at > e.shownOlderThan! + STALE_AFTER_MS)).toBe(true);
    await patient.close();
    await clinic.close();
  });

  it("T8(c) after the phone revokes a caregiver, a tablet served its old key ring, its writes acknowledged by the server, sends nothing under the retired keys (RollbackDetected) and keeps the reading", async () => {
    const { phone, tablet } = await linkedPair("t8c");
    const { grantee: carer } = await Grantee.create({ ...options("t8ccarer"), handle: name("carer") });
    const grant = await shareWith(phone, carer, {
      scopes: ["glucose"],
      from: Date.now() - 2 * HOUR,
      to: Date.now() + HOUR,
      expiresAt: Date.now() + 24 * HOUR,
    });
    const tabletToken = await tokenOf(() => tablet.sync.sync());
    // The ring the tablet holds now, as the server would serve it again.
    let oldRing: Reply | undefined;
    const keep = evil.rewrite((request, reply) => {
      if (request.method === "GET" && request.url.pathname.endsWith("/key-ring")) oldRing = reply;
      return reply;
    });
    await tablet.refreshKeyRing();
    keep();
    expect(oldRing).toBeDefined();

    // The phone revokes; its head under the new key ring goes out at once (no reading needed).
    await phone.revoke(grant.grantId);
    await phone.sync.push();

    // The server serves the tablet its old ring, and acknowledges whatever the tablet pushes.
    const pushed: Uint8Array[] = [];
    let seq = 1_000_000;
    evil.answer((request) => {
      if (request.headers.authorization !== tabletToken) return undefined;
      if (request.method === "GET" && request.url.pathname.endsWith("/key-ring")) return oldRing;
      if (!isPush(request)) return undefined;
      const upload = decodeUpload(request.body);
      pushed.push(...upload.objects);
      return jsonReply(200, { seqs: upload.objects.map(() => seq++) });
    });
    await tablet.records.put([reading("t1", 45)]);
    await expect(tablet.sync.sync()).rejects.toBeInstanceOf(RollbackDetected);
    expect(pushed).toEqual([]);
    expect(await ids(tablet.records)).toContain("t1");

    // Served honestly, the tablet fetches the new ring and writes under the new keys only.
    evil.behave();
    await tablet.sync.sync();
    const uploads = evil.seen
      .filter((r) => isPush(r) && r.headers.authorization === tabletToken)
      .flatMap((r) => decodeUpload(r.body).objects);
    const generations = uploads
      .filter((b) => objectKind(b) === "envelope")
      .map((b) => decodeEnvelope(b).header.generation);
    expect(generations.length).toBeGreaterThan(0);
    expect(generations.every((g) => g === 2)).toBe(true);
    await phone.close();
    await tablet.close();
    await carer.close();
  });

  it("T8(c) T19 what a removed phone signs after its removal, relayed by the server, is refused by the patient's other devices; what it wrote before still counts", async () => {
    const { phone, tablet } = await linkedPair("t8rm");
    const { grantee: clinic } = await Grantee.create({ ...options("t8rmclinic"), handle: name("clinic") });
    const grant = await shareWith(tablet, clinic, {
      scopes: ["glucose"],
      from: Date.now() - 2 * HOUR,
      to: Date.now() + HOUR,
      expiresAt: Date.now() + 24 * HOUR,
    });
    await phone.records.put([reading("p1", 120, Date.now() - HOUR)]);
    await phone.sync.sync();
    await tablet.sync.sync();
    expect(await ids(tablet.records)).toEqual(["p1"]);
    const before = await clinic.open(grant.grantId);
    await before.sync.sync();
    await before.close();
    await tablet.removeDevice(toHex(deviceOf(phone).deviceId));

    // The thief writes on the phone with its own device key and the keys it still holds.
    await phone.records.put([reading("p2", 45, Date.now() - HOUR)]);
    await phone.records.log.sealWrites();
    const [late] = await phone.records.log.outgoing(1);
    const relay = (token: string) =>
      rewritePages(token, (page) => ({
        ...page,
        entries: [...page.entries, { seq: page.cursor + 1, compacted: false, bytes: late!.bytes }],
        cursor: page.cursor + 1,
      }));
    const view = await clinic.open(grant.grantId);
    const clinicToken = await tokenOf(() => view.sync.sync());
    const tabletToken = await tokenOf(() => tablet.sync.sync());
    const stopRelay = relay(tabletToken);
    await tablet.records.put([reading("t1", 110, Date.now() - HOUR)]);
    await expect(tablet.sync.sync()).rejects.toBeInstanceOf(RevokedAuthor);
    expect(tablet.sync.status.error).toBeInstanceOf(RevokedAuthor);
    expect(await ids(tablet.records)).toEqual(["p1", "t1"]);
    stopRelay();
    await tablet.sync.sync();
    expect(tablet.sync.status.error).toBeUndefined();

    // The clinician's device, having opened the re-issued share, read the device list again: it
    // refuses the phone's envelope too, and takes in the tablet's honest reading in the same page.
    relay(clinicToken);
    await expect(view.sync.sync()).rejects.toBeInstanceOf(RevokedAuthor);
    expect(view.sync.status.error).toBeInstanceOf(RevokedAuthor);
    expect(await ids(view.records)).toEqual(["p1", "t1"]);
    await view.close();

    // Relayed on the live socket, it is refused the same way: the status says so, and following goes on.
    evil.behave();
    await tablet.sync.follow();
    evil.onSocketMessage((message) => {
      const page = decodePage(message);
      return page.entries.length === 0
        ? [message]
        : [
            encodePage({
              ...page,
              entries: [...page.entries, { seq: page.cursor + 1, compacted: false, bytes: late!.bytes }],
              cursor: page.cursor + 1,
            }),
          ];
    });
    await tablet.records.put([reading("t2", 105, Date.now() - HOUR)]);
    await tablet.sync.push();
    await vi.waitFor(() => expect(tablet.sync.status.error).toBeInstanceOf(RevokedAuthor), { timeout: 10_000 });
    expect(await ids(tablet.records)).toEqual(["p1", "t1", "t2"]);
    expect(tablet.sync.status.online).toBe(true);
    await phone.close();
    await tablet.close();
    await clinic.close();
  });

  it("T8(c) T19 a clinician served the patient's device list from before a removal refuses the removed phone's later envelope (RollbackDetected, nothing of the page kept); served the list its re-issued share names, it takes the honest reading in and raises RevokedAuthor", async () => {
    const { phone, tablet } = await linkedPair("t8old");
    const { grantee: clinic } = await Grantee.create({ ...options("t8oldclinic"), handle: name("clinic") });
    const grant = await shareWith(tablet, clinic, {
      scopes: ["glucose"],
      from: Date.now() - 2 * HOUR,
      to: Date.now() + HOUR,
      expiresAt: Date.now() + 24 * HOUR,
    });
    await phone.records.put([reading("p1", 120, Date.now() - HOUR)]);
    await phone.sync.sync();
    const isDeviceList = (r: SeenRequest) => r.method === "GET" && r.url.pathname.endsWith("/devices");
    let oldList: Reply | undefined;
    const keep = evil.rewrite((request, reply) => {
      if (isDeviceList(request)) oldList = reply;
      return reply;
    });
    const first = await clinic.open(grant.grantId);
    const clinicToken = await tokenOf(() => first.sync.sync());
    await first.close();
    keep();
    expect(oldList?.status).toBe(200);
    expect(await ids(first.records)).toEqual(["p1"]);
    await tablet.removeDevice(toHex(deviceOf(phone).deviceId));

    // The server keeps serving the clinician the list in which the phone is still active, and
    // relays what the phone signs after its removal beside the tablet's honest reading.
    await phone.records.put([reading("p2", 45, Date.now() - HOUR)]);
    await phone.records.log.sealWrites();
    const [late] = await phone.records.log.outgoing(1);
    await tablet.records.put([reading("t1", 110, Date.now() - HOUR)]);
    await tablet.sync.sync();
    const stale = evil.answer((request) =>
      request.headers.authorization === clinicToken && isDeviceList(request) ? oldList : undefined,
    );
    rewritePages(clinicToken, (page) => ({
      ...page,
      entries: [...page.entries, { seq: page.cursor + 1, compacted: false, bytes: late!.bytes }],
      cursor: page.cursor + 1,
    }));
    const view = await clinic.open(grant.grantId);
    await expect(view.sync.sync()).rejects.toBeInstanceOf(RollbackDetected);
    expect(await ids(view.records)).toEqual(["p1"]);

    // The list the re-issued share names is served: the phone's envelope is refused, the rest kept.
    stale();
    await expect(view.sync.sync()).rejects.toBeInstanceOf(RevokedAuthor);
    expect(await ids(view.records)).toEqual(["p1", "t1"]);
    await view.close();
    await phone.close();
    await tablet.close();
    await clinic.close();
  });

  it("a revoked write grantee's new envelope under its old keys, dated inside its former range and relayed by the server, is refused by the patient's devices", async () => {
    const { patient } = await Patient.create({ ...options("rw"), handle: name("rw") });
    const { grantee: nurse } = await Grantee.create({ ...options("rwnurse"), handle: name("nurse") });
    const grant = await shareWith(patient, nurse, {
      scopes: ["glucose"],
      from: Date.now() - 2 * HOUR,
      to: Date.now() + HOUR,
      expiresAt: Date.now() + 24 * HOUR,
      write: true,
    });
    const view = await nurse.open(grant.grantId);
    await view.records.put([reading("n1", 130, Date.now() - HOUR)]);
    await view.sync.sync();
    await patient.sync.sync();
    expect(await ids(patient.records)).toEqual(["n1"]);
    const opened = (view as unknown as { grant: OpenedGrant }).grant;
    await view.close();
    await patient.revoke(grant.grantId);

    // What the nurse signs afterwards with the grant it kept: the honest server would refuse it.
    const account = (nurse as unknown as { ring: { account: AccountKeys } }).ring.account;
    const forged = new LocalLog(new StewardDatabase(name("forger")), grantKeySource(opened, account.signKey), {
      signKey: account.signKey,
      signSecretKey: account.signSecretKey,
      deviceId: crypto.getRandomValues(new Uint8Array(16)),
    });
    await new RecordStore(forged).put([reading("n2", 45, Date.now() - HOUR)]);
    await forged.sealWrites();
    const [late] = await forged.outgoing(1);
    const patientToken = await tokenOf(() => patient.sync.sync());
    rewritePages(patientToken, (page) => ({
      ...page,
      entries: [...page.entries, { seq: page.cursor + 1, compacted: false, bytes: late!.bytes }],
      cursor: page.cursor + 1,
    }));
    await patient.records.put([reading("p1", 100, Date.now() - HOUR)]);
    await expect(patient.sync.sync()).rejects.toBeInstanceOf(RevokedAuthor);
    expect(patient.sync.status.error).toBeInstanceOf(RevokedAuthor);
    expect(await ids(patient.records)).toEqual(["n1", "p1"]);
    await patient.close();
    await nurse.close();
  });
});
