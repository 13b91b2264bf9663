// Attacks on the signed heads by a lying server, through the evil proxy in front of
// the real worker: each test states the attack and what the defence does.
import "fake-indexeddb/auto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { bytesEqual, toHex } from "../../shared/bytes.js";
import { decodeEnvelope } from "../../shared/envelopeCodec.js";
import { InvalidSignature, RollbackDetected } from "../../shared/errors.js";
import { decodeHead, STALE_AFTER_MS } from "../../shared/signedHead.js";
import { loadSodium } from "../../crypto/sodium.js";
import { EXTRA_KINDS, decodePage, encodePage, objectKind, type Page } from "../../shared/syncFrames.js";
import { Grantee, Patient } from "../../client/index.js";
import type { DeviceKeys } from "../../client/devices.js";
import { signHead } from "../../client/heads.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { EvilServer, type SeenRequest } from "../helpers/evilServer.js";
import { linkDevice, shareWith } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let evil: EvilServer;
let unique = 0;
const name = (prefix: string) => `${prefix}${Date.now() % 1_000_000}x${unique++}`;
const options = (prefix: string) => ({ server: evil.url, database: name(`heads-${prefix}`) });
const reading = (id: string, mgdl: number, time = Date.now()) => ({ id, type: "cgm" as const, time, body: { mgdl } });
const ids = async (records: Patient["records"]) =>
  (await records.query({ scope: "glucose", from: Date.now() - 3 * HOUR, to: Date.now() + HOUR }))
    .map((r) => r.id)
    .sort();
const isPull = (r: SeenRequest) => r.method === "GET" && r.url.pathname.endsWith("/envelopes");
async function tokenOf(act: () => Promise<unknown>): Promise<string> {
  const from = evil.seen.length;
  await act();
  const token = evil.seen.slice(from).find(isPull)?.headers.authorization;
  if (!token) throw new Error("no pull seen");
  return token;
}
function rewritePages(token: string, edit: (page: Page) => Page): () => void {
  return evil.rewrite((request, reply) => {
    if (!isPull(request) || request.headers.authorization !== token || reply.status !== 200) return reply;
    return { ...reply, body: encodePage(edit(decodePage(reply.body))) };
  });
}
const deviceOf = (p: Patient) => (p as unknown as { device: DeviceKeys }).device;
const headsOf = (page: Page) => (page.extras ?? []).filter((e) => e.kind === EXTRA_KINDS.head);
const signedBy = (bytes: Uint8Array, key: Uint8Array) =>
  objectKind(bytes) === "envelope" && bytesEqual(decodeEnvelope(bytes).header.authorKey, key);

async function linkedPair(prefix: string): Promise<{ phone: Patient; tablet: Patient }> {
  const { patient: phone } = await Patient.create({
    ...options(`${prefix}phone`),
    handle: name(prefix),
    deviceName: "Phone",
  });
  return { phone, tablet: await linkDevice(phone, { ...options(`${prefix}tablet`), deviceName: "Tablet" }) };
}

describe("signed heads against a lying server", () => {
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

  it("an older, validly signed head of the phone replayed after a newer one raises RollbackDetected and the tablet keeps what it had", async () => {
    const { phone, tablet } = await linkedPair("replay");
    await phone.records.put([reading("r1", 120, Date.now() - HOUR)]);
    await phone.sync.sync();
    let old: Page["extras"];
    const token = await tokenOf(() => tablet.sync.sync());
    const record = rewritePages(token, (page) => ((old = page.extras), page));
    await tablet.sync.sync();
    record();
    const phoneKey = deviceOf(phone).signKey;
    expect(old!.some((e) => bytesEqual(decodeHead(e.bytes).authorKey, phoneKey))).toBe(true);
    await phone.records.put([reading("r2", 110, Date.now() - HOUR)]);
    await phone.sync.sync();
    await tablet.sync.sync();
    expect(await ids(tablet.records)).toEqual(["r1", "r2"]);

    rewritePages(token, (page) => ({ ...page, extras: old! }));
    await expect(tablet.sync.sync()).rejects.toBeInstanceOf(RollbackDetected);
    expect(await ids(tablet.records)).toEqual(["r1", "r2"]);
    evil.behave();
    await tablet.sync.sync();
    expect(tablet.sync.status.error).toBeUndefined();
    await phone.close();
    await tablet.close();
  });

  it("a genuine head from another patient's log, served to the tablet, raises InvalidSignature", async () => {
    const { phone, tablet } = await linkedPair("other");
    const { patient: stranger } = await Patient.create({ ...options("stranger"), handle: name("stranger") });
    await stranger.records.put([reading("s1", 90, Date.now() - HOUR)]);
    await stranger.sync.sync();
    let foreign: Page["extras"];
    const sToken = await tokenOf(() => stranger.sync.sync());
    const rec = rewritePages(sToken, (page) => ((foreign = headsOf(page)), page));
    await stranger.sync.sync();
    rec();
    expect(foreign!.length).toBeGreaterThan(0);
    const token = await tokenOf(() => tablet.sync.sync());
    rewritePages(token, (page) => ({ ...page, extras: [...(page.extras ?? []), ...foreign!] }));
    await expect(tablet.sync.sync()).rejects.toBeInstanceOf(InvalidSignature);
    await phone.close();
    await tablet.close();
    await stranger.close();
  });

  it("every head stripped from every page: sync succeeds within the bound, incompleteSince set after it", async () => {
    const { phone, tablet } = await linkedPair("strip");
    await phone.records.put([reading("r1", 120, Date.now() - HOUR)]);
    await phone.sync.sync();
    const token = await tokenOf(() => tablet.sync.sync());
    expect(tablet.incompleteSince).toBeUndefined();
    const phoneKey = deviceOf(phone).signKey;
    rewritePages(token, (page) => ({
      ...page,
      entries: page.entries.filter((e) => !signedBy(e.bytes, phoneKey)),
      extras: [],
    }));
    await phone.records.put([reading("r2", 45)]);
    await phone.sync.sync();
    await tablet.sync.sync();
    expect(tablet.incompleteSince).toBeUndefined();
    const phoneHeadTime = Object.values(
      await (
        tablet as unknown as {
          witness: { tracker: { heads(): Promise<Record<string, { time: number; deviceId: string }>> } };
        }
      ).witness.tracker.heads(),
    ).find((h) => h.deviceId === toHex(deviceOf(phone).deviceId))!.time;
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + STALE_AFTER_MS + 60_000 });
    await tablet.sync.sync();
    expect(tablet.incompleteSince).toBe(phoneHeadTime);
    expect(tablet.sync.status.quietDevices).toEqual(["Phone"]);
    expect(await ids(tablet.records)).toEqual(["r1"]);
    vi.useRealTimers();
    await phone.close();
    await tablet.close();
  });

  it("a removed phone signs, after its removal, a head at its last counted seq claiming a newer key ring: the tablet must ignore it, not stop pushing for good", async () => {
    const { phone, tablet } = await linkedPair("rmhead");
    await phone.records.put([reading("p1", 120, Date.now() - HOUR)]);
    await phone.sync.sync();
    await tablet.sync.sync();
    let phoneHead: ReturnType<typeof decodeHead> | undefined;
    const token = await tokenOf(() => tablet.sync.sync());
    const rec = rewritePages(token, (page) => {
      for (const e of headsOf(page)) {
        const h = decodeHead(e.bytes);
        if (bytesEqual(h.authorKey, deviceOf(phone).signKey)) phoneHead = h;
      }
      return page;
    });
    await tablet.sync.sync();
    rec();
    expect(phoneHead?.seq).toBe(1);
    await tablet.removeDevice(toHex(deviceOf(phone).deviceId));

    // The thief signs a head with its own device key: same seq and link (within the removal's cut-off), now, ring 999.
    const { signature: _s, ...unsigned } = phoneHead!;
    const forged = signHead(deviceOf(phone).signSecretKey, { ...unsigned, time: Date.now(), keyRingVersion: 999 });
    rewritePages(token, (page) => ({
      ...page,
      extras: [...(page.extras ?? []), { kind: EXTRA_KINDS.head, bytes: forged }],
    }));
    await tablet.records.put([reading("t1", 100, Date.now() - HOUR)]);
    const first = await tablet.sync.sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    // Even once the server behaves again, the tablet must be able to push.
    evil.behave();
    const second = await tablet.sync.sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(await ids(tablet.records)).toContain("t1");
    expect(first).toBeUndefined();
    expect(second).toBeUndefined();
    expect(tablet.sync.status.pending).toBe(0);
    await phone.close();
    await tablet.close();
  });

  it("a removed phone signs, after its removal, a head at its last counted seq naming a made-up newest envelope: a clinician must ignore it, not report WithheldData on every sync", async () => {
    const { phone, tablet } = await linkedPair("rmclin");
    await phone.records.put([reading("p1", 120, Date.now() - HOUR)]);
    await phone.sync.sync();
    await tablet.sync.sync();
    let phoneHead: ReturnType<typeof decodeHead> | undefined;
    const tToken = await tokenOf(() => tablet.sync.sync());
    const rec = rewritePages(tToken, (page) => {
      for (const e of headsOf(page)) {
        const h = decodeHead(e.bytes);
        if (bytesEqual(h.authorKey, deviceOf(phone).signKey)) phoneHead = h;
      }
      return page;
    });
    await tablet.sync.sync();
    rec();
    await tablet.removeDevice(toHex(deviceOf(phone).deviceId));
    const { grantee: clinic } = await Grantee.create({ ...options("rmclinic"), handle: name("clinic") });
    const grant = await shareWith(tablet, clinic, {
      scopes: ["glucose"],
      from: Date.now() - 2 * HOUR,
      to: Date.now() + HOUR,
      expiresAt: Date.now() + 24 * HOUR,
    });
    const view = await clinic.open(grant.grantId);
    const cToken = await tokenOf(() => view.sync.sync());
    expect(await ids(view.records)).toEqual(["p1"]);

    const { signature: _s, ...unsigned } = phoneHead!;
    const hour = Math.floor(Date.now() / HOUR);
    const scopes = unsigned.scopes.map((s) => ({
      ...s,
      newest: {
        envelopeId: crypto.getRandomValues(new Uint8Array(16)),
        hour,
        generation: s.newest?.generation ?? s.generation,
      },
    }));
    const forged = signHead(deviceOf(phone).signSecretKey, { ...unsigned, time: Date.now(), scopes });
    rewritePages(cToken, (page) => ({
      ...page,
      extras: [...(page.extras ?? []), { kind: EXTRA_KINDS.head, bytes: forged }],
    }));
    const outcome = await view.sync.sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(await ids(view.records)).toEqual(["p1"]);
    expect(outcome).toBeUndefined();
    await view.close();
    await phone.close();
    await tablet.close();
    await clinic.close();
  });
});
