// The role-level SDK (Patient, Grantee) against the real worker behind the evil server: the key
// ring, the recovery kit, invites and device links are stored on or relayed by a server that
// replaces, downgrades, records or swaps what passes through it.
import "fake-indexeddb/auto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAccountKeys } from "../../crypto/accountKeys.js";
import { fromBase64Url, toBase64Url, toHex } from "../../shared/bytes.js";
import { decodeEnvelope } from "../../shared/envelopeCodec.js";
import { openEnvelope } from "../../crypto/envelope.js";
import {
  ForgedGrant,
  ForkDetected,
  InvalidSignature,
  RequestRefused,
  RevokedGrant,
  RollbackDetected,
  TamperedEnvelope,
  WeakKdfParameters,
} from "../../shared/errors.js";
import { openGrant } from "../../crypto/grant.js";
import { labelledHash } from "../../shared/hash.js";
import { decodeGrantWire } from "../../shared/grantCodec.js";
import { encodeKeyBundle } from "../../shared/keyBundle.js";
import { ROOT, KeyTreeReader } from "../../crypto/keyTree.js";
import { encodeKdfParams, type KdfParams } from "../../crypto/secretKdf.js";
import { SIGNATURE_CONTEXTS } from "../../shared/signing.js";
import { EXTRA_KINDS, decodeUpload } from "../../shared/syncFrames.js";
import { loadSodium, sodium } from "../../crypto/sodium.js";
import { Grantee, Patient, SCOPES } from "../../client/index.js";
import { ServerApi } from "../../client/api/serverApi.js";
import { appendDeviceChange, certify, newDeviceKeys, type DeviceKeys } from "../../client/devices.js";
import type { KeyRing } from "../../client/keyRing.js";
import { parseInviteUrl } from "../../client/inviteLink.js";
import { createKeyRing } from "../../client/keyRing.js";
import { sealKeyRing } from "../../client/sealedKeyRing.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { unsent } from "../helpers/patientDevice.js";
import { EvilServer, jsonOf, jsonReply, type Reply, type SeenRequest } from "../helpers/evilServer.js";
import { shareWith, verifyContact } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let evil: EvilServer;
let unique = 0;
const name = (prefix: string) => `${prefix}${Date.now() % 1_000_000}x${unique++}`;
const options = (prefix: string) => ({ server: evil.url, database: name(`roles-${prefix}`) });

function uploadedGrants(): Uint8Array[] {
  return evil.seen
    .filter((r) => r.method === "POST" && /\/grants$/.test(r.url.pathname))
    .map((r) => fromBase64Url(jsonOf<{ grant: string }>(r).grant));
}

function text(request: SeenRequest): string {
  return `${request.method} ${request.url.href} ${JSON.stringify(request.headers)} ${Buffer.from(request.body).toString("latin1")} ${toHex(request.body)}`;
}

describe("the evil server against the Patient and Grantee devices", () => {
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

  it("T3 a stored key ring the server replaces with one it sealed, or rolls back to an older version, is refused; writes stay under the patient's own roots", async () => {
    const { patient } = await Patient.create({ ...options("t3"), handle: name("kr") });
    const { grantee: bob } = await Grantee.create({ ...options("t3bob"), handle: name("bob") });
    await patient.findContact(bob.handle); // stores key ring version 2
    const stores = evil.seen
      .filter((r) => r.method === "PUT" && r.url.pathname === `/v1/accounts/${patient.accountId}/key-ring`)
      .map((r) => jsonOf<{ version: number; blob: string }>(r));
    const first = stores.find((s) => s.version === 1)!;
    const attacker = createKeyRing(true, "attacker");
    const serveRing = (value: { version: number; blob: string }) =>
      evil.rewrite((request, reply) =>
        request.url.pathname.endsWith("/key-ring") && request.method === "GET" ? jsonReply(200, value) : reply,
      );

    serveRing({ version: 3, blob: toBase64Url(sealKeyRing(attacker.ring, 3, attacker.device)) });
    await expect(patient.refreshKeyRing()).rejects.toBeInstanceOf(TamperedEnvelope);
    evil.behave();
    serveRing(first);
    await expect(patient.refreshKeyRing()).rejects.toBeInstanceOf(RollbackDetected);
    evil.behave();

    await patient.records.put([{ id: "after-attack", type: "cgm", time: Date.now(), body: { mgdl: 120 } }]);
    const [written] = await unsent(patient.records.log);
    const envelope = decodeEnvelope(written!.bytes);
    expect(envelope.header.generation).toBe(1);
    const attackerLeaf = new KeyTreeReader([
      { node: ROOT, key: attacker.ring.data!.scopes.glucose.roots.get(1)! },
    ]).leaf(envelope.header.hour);
    expect(() => openEnvelope(envelope, attackerLeaf)).toThrow(TamperedEnvelope);
    expect(patient.contacts().map((c) => c.handle)).toEqual([bob.handle]);
    await patient.close();
    await bob.close();
  });

  it("T10 a revocation the server undoes (the grant listed as active again) is detected, not believed", async () => {
    const { patient } = await Patient.create({ ...options("t10"), handle: name("rv") });
    const { grantee: bob } = await Grantee.create({ ...options("t10bob"), handle: name("bob") });
    const grant = await shareWith(patient, bob, {
      scopes: ["glucose"],
      from: Date.now() - HOUR,
      to: Date.now(),
      expiresAt: Date.now() + HOUR,
    });
    await patient.revoke(grant.grantId);
    expect((await patient.grants())[0]!.status).toBe("revoked");
    evil.rewrite((request, reply) => {
      if (request.method !== "GET" || !request.url.pathname.endsWith("/grants")) return reply;
      const listed = jsonOf<{ grants: { status: string }[] }>(reply);
      return jsonReply(200, { grants: listed.grants.map((g) => ({ ...g, status: "active" })) });
    });
    await expect(patient.grants()).rejects.toBeInstanceOf(RollbackDetected);
    await patient.close();
    await bob.close();
  });

  it("T11 a revoked grant the server replays into the grantee's inbox never shows as active again, and an older revision is refused", async () => {
    const { patient } = await Patient.create({ ...options("t11"), handle: name("rp") });
    const { grantee: carer } = await Grantee.create({ ...options("t11carer"), handle: name("carer") });
    const { grantee: nurse } = await Grantee.create({ ...options("t11nurse"), handle: name("nurse") });
    for (const g of [carer, nurse]) await verifyContact(patient, g);
    const window = {
      scopes: ["glucose" as const],
      from: Date.now() - HOUR,
      to: Date.now(),
      expiresAt: Date.now() + 24 * HOUR,
    };
    const revoked = await patient.share({ with: carer.accountId, ...window });
    const kept = await patient.share({ with: nurse.accountId, ...window });
    // The server keeps a copy of every inbox it serves, per session.
    const served = new Map<string, Reply>();
    const record = evil.rewrite((request, reply) => {
      if (request.url.pathname === "/v1/inbox") served.set(request.headers.authorization ?? "", reply);
      return reply;
    });
    expect((await carer.shares()).map((s) => s.grantId)).toEqual([revoked.grantId]);
    expect((await nurse.shares()).map((s) => s.revision)).toEqual([1]);
    const before = new Map(served);
    record();

    await patient.revoke(revoked.grantId); // re-issues the nurse's grant as revision 2
    expect(await carer.shares()).toEqual([]);
    expect((await nurse.shares()).map((s) => s.revision)).toEqual([2]);

    // The server replays the carer's revoked grant and the nurse's first revision, without revocations.
    evil.rewrite((request, reply) => {
      const old = request.url.pathname === "/v1/inbox" ? before.get(request.headers.authorization ?? "") : undefined;
      return old ? jsonReply(200, { ...jsonOf<object>(old), revocations: [] }) : reply;
    });
    expect(await carer.shares()).toEqual([]);
    expect(carer.rejected.map((r) => r.grantId)).toEqual([revoked.grantId]);
    await expect(carer.open(revoked.grantId)).rejects.toBeInstanceOf(RevokedGrant);
    expect(await nurse.shares()).toEqual([]);
    expect(nurse.rejected.map((r) => r.grantId)).toEqual([kept.grantId]);
    await expect(nurse.open(kept.grantId)).rejects.toBeInstanceOf(RollbackDetected);
    await patient.close();
    await carer.close();
    await nurse.close();
  });

  it("T30 reads of two grantees that the server hides from the patient's access log show as holes in their signed receipts; a forged or replayed receipt is refused", async () => {
    const { patient } = await Patient.create({ ...options("t30"), handle: name("al") });
    const { grantee: clinic } = await Grantee.create({ ...options("t30clinic"), handle: name("clinic") });
    const { grantee: carer } = await Grantee.create({ ...options("t30carer"), handle: name("carer") });
    const window = {
      scopes: ["glucose" as const],
      from: Date.now() - 2 * HOUR,
      to: Date.now(),
      expiresAt: Date.now() + 24 * HOUR,
    };
    for (const g of [clinic, carer]) {
      await shareWith(patient, g, window);
    }
    await patient.records.put([{ id: "r1", type: "cgm", time: Date.now() - HOUR, body: { mgdl: 45 } }]);
    await patient.sync.sync();
    const before = await patient.accessLog();
    expect(before.filter((e) => e.witness === "reader")).toEqual([]);

    // Both grantees open the share and read; the server hides those receipts and the log entries of the reads.
    const hiddenFrom = evil.seen.length;
    const read = async (who: Grantee) => {
      const view = await who.open((await who.shares())[0]!.grantId);
      await view.sync.sync();
      await view.close();
    };
    await read(clinic);
    await read(carer);
    // Receipts travel as extras of an upload to the log.
    const uploads = evil.seen
      .slice(hiddenFrom)
      .filter((r) => r.method === "POST" && r.url.pathname.endsWith("/envelopes"));
    const pushed = uploads.flatMap((r) => decodeUpload(r.body).extras.filter((e) => e.kind === EXTRA_KINDS.receipt));
    const hidden = new Set(pushed.map((e) => toBase64Url(e.bytes)));
    expect(hidden.size).toBe(4); // an open and a read from each
    const shown = before.length;
    evil.rewrite((request, reply) => {
      if (request.method !== "GET") return reply;
      if (request.url.pathname.endsWith("/receipts"))
        return jsonReply(200, {
          receipts: jsonOf<{ receipts: { receipt: string }[] }>(reply).receipts.filter((r) => !hidden.has(r.receipt)),
        });
      if (request.url.pathname.endsWith("/access-log"))
        return jsonReply(200, {
          entries: jsonOf<{ entries: { seq: number }[] }>(reply).entries.filter((e) => e.seq <= shown),
        });
      return reply;
    });
    // Without more reads nothing shows (the server can always hide the newest entries); the next read of each grantee exposes the hole.
    expect((await patient.accessLog()).filter((e) => e.witness === "reader")).toEqual([]);
    await read(clinic);
    await read(carer);
    const log = await patient.accessLog();
    const holes = log.filter((e) => e.missingReceipts);
    expect(holes.map((e) => e.actor.accountId).sort()).toEqual([clinic.accountId, carer.accountId].sort());
    expect(holes.map((e) => e.missingReceipts)).toEqual([
      { from: 1, to: 2 },
      { from: 1, to: 2 },
    ]);
    expect(log.filter((e) => e.witness === "server").every((e) => e.seq <= shown)).toBe(true);

    // A receipt the server makes up is not shown; one it serves twice is a replay.
    evil.behave();
    const honest = jsonOf<{ receipts: { n: number; receipt: string }[] }>(
      await evil.forward({
        method: "GET",
        url: new URL(`/v1/patients/${patient.accountId}/receipts`, evil.url),
        headers: evil.seen.find((r) => r.url.pathname.endsWith("/receipts") && r.method === "GET")!.headers,
        body: new Uint8Array(),
      }),
    ).receipts;
    const forgedBytes = fromBase64Url(honest[0]!.receipt);
    forgedBytes[forgedBytes.length - 1]! ^= 1;
    const serveReceipts = (receipts: { n: number; receipt: string }[]) =>
      evil.rewrite((request, reply) =>
        request.method === "GET" && request.url.pathname.endsWith("/receipts") ? jsonReply(200, { receipts }) : reply,
      );
    serveReceipts([...honest, { n: 999, receipt: toBase64Url(forgedBytes) }]);
    expect((await patient.accessLog()).filter((e) => e.witness === "reader")).toHaveLength(honest.length);
    evil.behave();
    serveReceipts([...honest, honest[0]!]);
    await expect(patient.accessLog()).rejects.toBeInstanceOf(RollbackDetected);
    await patient.close();
    await clinic.close();
    await carer.close();
  });

  it("T16 a recovery kit served with weakened Argon2id parameters is refused before any derivation", async () => {
    const handle = name("kdf");
    const { patient, recoveryCode } = await Patient.create({ ...options("t16"), handle });
    await patient.close();
    evil.rewrite((request, reply) => {
      if (!request.url.pathname.endsWith("/recovery-kit") || request.method !== "GET" || reply.status !== 200)
        return reply;
      const kit = jsonOf<{ accountId: string; blob: string }>(reply);
      const blob = fromBase64Url(kit.blob);
      const weak: KdfParams = {
        algorithm: blob[5] as KdfParams["algorithm"],
        opsLimit: 1,
        memLimit: 8 * 1024,
        salt: blob.slice(14, 30),
      };
      blob.set(encodeKdfParams(weak), 5);
      return jsonReply(200, { accountId: kit.accountId, blob: toBase64Url(blob) });
    });
    const pwhash = vi.spyOn(sodium(), "crypto_pwhash");
    try {
      await expect(Patient.recover({ ...options("t16new"), handle, recoveryCode })).rejects.toBeInstanceOf(
        WeakKdfParameters,
      );
      expect(pwhash).not.toHaveBeenCalled();
    } finally {
      pwhash.mockRestore();
    }
  });

  it("T17 an invite's secret, and the MAC key made from it, never travel in any request", async () => {
    const { patient } = await Patient.create({ ...options("t17"), handle: name("inv") });
    const { grantee: carer } = await Grantee.create({ ...options("t17carer"), handle: name("carer") });
    const from = evil.seen.length;
    const { url } = await patient.createInvite({
      scopes: ["glucose"],
      from: Date.now() - 24 * HOUR,
      to: Date.now(),
      expiresAt: Date.now() + 24 * HOUR,
      live: true,
    });
    await carer.acceptInvite(url);
    expect(await patient.completeInvites()).toHaveLength(1);
    expect(await carer.shares()).toHaveLength(1);
    const { secret } = parseInviteUrl(url);
    const fragment = new URL(url).hash.slice(1);
    const macKey = labelledHash(SIGNATURE_CONTEXTS.invite, secret);
    const needles = [
      fragment,
      fragment.slice("invite=".length),
      toHex(secret),
      toBase64Url(secret),
      Buffer.from(secret).toString("base64"),
      toHex(macKey),
      toBase64Url(macKey),
    ];
    const traffic = evil.seen.slice(from);
    expect(traffic.length).toBeGreaterThan(5);
    for (const request of traffic) for (const needle of needles) expect(text(request)).not.toContain(needle);
    await patient.close();
    await carer.close();
  });

  it("T18 an invite answer whose keys the server swaps issues no grant; a used invite cannot be answered again", async () => {
    const { patient } = await Patient.create({ ...options("t18"), handle: name("hij") });
    const { grantee: carer } = await Grantee.create({ ...options("t18carer"), handle: name("carer") });
    const attacker = createAccountKeys();
    const { url, inviteId } = await patient.createInvite({
      scopes: ["glucose"],
      from: Date.now() - HOUR,
      to: Date.now(),
      expiresAt: Date.now() + HOUR,
    });
    evil.answer(async (request) => {
      if (request.method !== "POST" || !/^\/v1\/invites\/[0-9a-f]+\/messages$/.test(request.url.pathname))
        return undefined;
      const message = jsonOf<{ n: number; body: string }>(request);
      const answer = fromBase64Url(message.body);
      answer.set(encodeKeyBundle(attacker.bundle), 0);
      return evil.forward({
        ...request,
        body: new TextEncoder().encode(JSON.stringify({ ...message, body: toBase64Url(answer) })),
      });
    });
    await carer.acceptInvite(url);
    evil.behave();
    const grantsBefore = uploadedGrants().length;
    await expect(patient.completeInvites()).rejects.toBeInstanceOf(InvalidSignature);
    expect(uploadedGrants().length).toBe(grantsBefore);
    expect(await patient.grants()).toEqual([]);
    // The refused invite was withdrawn: it is no longer open and its link no longer works.
    expect(patient.openInvites().map((i) => i.inviteId)).not.toContain(inviteId);
    await expect(patient.completeInvites()).resolves.toEqual([]);

    // An honest round, then the same link used again by someone else.
    const second = await patient.createInvite({
      scopes: ["glucose"],
      from: Date.now() - HOUR,
      to: Date.now(),
      expiresAt: Date.now() + HOUR,
    });
    await carer.acceptInvite(second.url);
    const [issued] = await patient.completeInvites();
    expect(issued?.grantee.accountId).toBe(carer.accountId);
    const { grantee: late } = await Grantee.create({ ...options("t18late"), handle: name("late") });
    await expect(late.acceptInvite(second.url)).rejects.toBeInstanceOf(RequestRefused);
    expect(await patient.completeInvites()).toEqual([]);
    // The attacker, holding its own keys, opens none of the grants that were uploaded.
    for (const wire of uploadedGrants())
      expect(() => openGrant(wire, attacker, decodeGrantWire(wire).policy.patientKey)).toThrow(ForgedGrant);
    await patient.close();
    await carer.close();
    await late.close();
  });

  it("T19 a stolen phone removed from the account opens no key ring stored after, cannot put itself back, and every category has new keys", async () => {
    const { patient: laptop } = await Patient.create({
      ...options("t19laptop"),
      handle: name("steal"),
      deviceName: "Laptop",
    });
    const request = await Patient.requestLink({ ...options("t19phone"), deviceName: "Phone" });
    const approval = await laptop.approveLink(request.code);
    expect(approval.name).toBe("Phone");
    expect(await request.sas()).toBe(approval.sas);
    await approval.confirm();
    const phone = await request.complete();
    expect((await laptop.devices()).map((d) => [d.name, d.thisDevice, d.removedAt === undefined])).toEqual([
      ["Phone", false, true],
      ["Laptop", true, true],
    ]);
    const phoneId = (await laptop.devices()).find((d) => d.name === "Phone")!.deviceId;
    await laptop.removeDevice(phoneId);
    expect((await laptop.devices()).find((d) => d.deviceId === phoneId)?.removedAt).toBeGreaterThan(0);

    // The thief's phone: the key ring stored since is not sealed to it, and it can no longer log in,
    // neither with its device key nor with the account's identity key it still holds.
    await expect(phone.refreshKeyRing()).rejects.toBeInstanceOf(RequestRefused);
    const stolen = (phone as unknown as { ring: KeyRing }).ring;
    const stolenDevice = (phone as unknown as { device: DeviceKeys }).device;
    for (const api of [
      new ServerApi(evil.url, stolen.account),
      new ServerApi(evil.url, stolen.account, undefined, {
        id: stolenDevice.deviceId,
        secretKey: stolenDevice.signSecretKey,
      }),
    ]) {
      await expect(api.keyRing()).rejects.toMatchObject({ status: 401 });
    }
    // A server that helps the thief: serves the laptop a ring the phone sealed (to every device) with
    // its device key, or a device list that puts the phone back. Both are refused.
    const served = (ring: KeyRing) => {
      const blob = toBase64Url(sealKeyRing(ring, 99, stolenDevice));
      return evil.rewrite((request, reply) =>
        request.method === "GET" && request.url.pathname.endsWith("/key-ring")
          ? jsonReply(200, { version: 99, blob })
          : reply,
      );
    };
    served(stolen);
    await expect(laptop.refreshKeyRing()).rejects.toBeInstanceOf(RollbackDetected);
    evil.behave();
    const readded = {
      ...stolen,
      devices: appendDeviceChange(
        stolen.devices,
        stolen.account,
        { kind: "device", device: stolenDevice },
        { op: "add", certificate: certify(stolen.account, newDeviceKeys("Thief's tablet")) },
      ),
    };
    served(readded);
    await expect(laptop.refreshKeyRing()).rejects.toBeInstanceOf(ForkDetected);
    evil.behave();
    await expect(
      (laptop as unknown as { api: ServerApi }).api.publishDevices(laptop.accountId, readded.devices),
    ).rejects.toMatchObject({ status: 409 });
    // Every category moved to a new generation whose root the phone never had.
    const laptopRing = (laptop as unknown as { ring: KeyRing }).ring;
    for (const scope of SCOPES) {
      const current = laptopRing.data!.scopes[scope].current;
      expect(current).toBe(2);
      expect(stolen.data!.scopes[scope].roots.has(current)).toBe(false);
    }
    await laptop.close();
    await phone.close();
  });

  it("T19 a device-link key the server substitutes is refused, and the key ring is sealed to no one", async () => {
    const { patient } = await Patient.create({ ...options("t19"), handle: name("link") });
    const link = await Patient.requestLink(options("t19new"));
    const impostor = sodium().crypto_box_keypair();
    const from = evil.seen.length;
    evil.rewrite((request, reply) => {
      if (request.method !== "GET" || !request.url.pathname.startsWith("/v1/links/") || reply.status !== 200)
        return reply;
      const slot = jsonOf<{ expiresAt: number; messages: { from: string | null; body: string }[] }>(reply);
      const forgedKey = new Uint8Array([...impostor.publicKey, ...sodium().randombytes_buf(32)]);
      return jsonReply(200, {
        ...slot,
        messages: slot.messages.map((m, i) => (i === 0 ? { ...m, body: toBase64Url(forgedKey) } : m)),
      });
    });
    await expect(patient.approveLink(link.code)).rejects.toBeInstanceOf(InvalidSignature);
    expect(evil.seen.slice(from).filter((r) => r.method === "POST" && r.url.pathname.startsWith("/v1/links/"))).toEqual(
      [],
    );
    await patient.close();
  });
});
