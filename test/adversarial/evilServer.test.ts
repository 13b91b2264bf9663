// The real client libraries against the real worker, with the evil server (a hookable loopback
// proxy) in between: it swaps directory keys, forges inbox grants, and edits the access log. The
// oracle: the client returns the honest data or raises a typed security error, never wraps a key to
// keys nobody verified, and the attacker's own keys open nothing that was uploaded.
import "fake-indexeddb/auto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys, sign, type AccountKeys } from "../../crypto/accountKeys.js";
import { verifyAccessLogChain, type AccessLogEntry } from "../../shared/accessLog.js";
import { fromBase64Url, fromHex, toBase64Url } from "../../shared/bytes.js";
import {
  ChainBroken,
  ForgedGrant,
  GapDetected,
  InvalidSignature,
  KeyChanged,
  RollbackDetected,
  UnverifiedRecipient,
} from "../../shared/errors.js";
import { issueGrant, openGrant, type IssuedGrant } from "../../crypto/grant.js";
import { decodeGrantWire, encodeGrantPolicy, encodeGrantWire } from "../../shared/grantCodec.js";
import { accountIdHex, decodeKeyBundle, encodeKeyBundle, type KeyBundle } from "../../shared/keyBundle.js";
import { loadSodium } from "../../crypto/sodium.js";
import { ServerApi } from "../../client/api/serverApi.js";
import { ContactBook } from "../../client/contacts.js";
import { chainPoint, verifiedDeviceList } from "../../client/devices.js";
import { createKeyRing, scopeTags, type KeyRing } from "../../client/keyRing.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { EvilServer, jsonOf, jsonReply, type SeenRequest } from "../helpers/evilServer.js";

const HOUR = 3_600_000;
const nowHour = Math.floor(Date.now() / HOUR);
let worker: LocalWorker;
let evil: EvilServer;
let unique = 0;

function handle(prefix: string): string {
  return `${prefix}${Date.now() % 1_000_000}x${unique++}`;
}

/** A registered account whose client talks through the evil server. */
async function account(
  prefix: string,
  keys: AccountKeys = createAccountKeys(),
): Promise<{ keys: AccountKeys; api: ServerApi; handle: string }> {
  const name = handle(prefix);
  const api = new ServerApi(evil.url, keys);
  await api.register(name);
  return { keys, api, handle: name };
}

function bundleOf(served: { bundle: string }): KeyBundle {
  return decodeKeyBundle(fromBase64Url(served.bundle));
}

/** Serves `bundle` whenever anyone looks up `name`: the directory lies. */
function substituteDirectoryKey(name: string, bundle: KeyBundle): () => void {
  return evil.rewrite((request, reply) => {
    if (request.method !== "GET" || request.url.pathname !== `/v1/accounts/by-handle/${name}`) return reply;
    return jsonReply(200, {
      accountId: accountIdHex(bundle.signKey),
      handle: name,
      bundle: toBase64Url(encodeKeyBundle(bundle)),
    });
  });
}

function glucoseGrant(ring: KeyRing, to: KeyBundle, verified: boolean): IssuedGrant {
  return issueGrant({
    patient: ring.account,
    recipient: { bundle: to, verified },
    devices: chainPoint(verifiedDeviceList(ring.devices, ring.account.signKey)),
    scopes: [
      {
        scope: "glucose",
        scopeTag: scopeTags(ring.data!).get("glucose")!,
        generations: [{ generation: 1, root: ring.data!.scopes.glucose.roots.get(1)! }],
      },
    ],
    fromHour: nowHour - 24,
    toHour: nowHour,
    expiresAt: Date.now() + 24 * HOUR,
  });
}

/** Every grant any client uploaded through the evil server. */
function uploadedGrants(): Uint8Array[] {
  return evil.seen
    .filter((r: SeenRequest) => r.method === "POST" && /\/grants$/.test(r.url.pathname))
    .map((r) => fromBase64Url(jsonOf<{ grant: string }>(r).grant));
}

describe("the evil server: directory, grants and access log", () => {
  let ring: KeyRing;
  let patientApi: ServerApi;

  beforeAll(async () => {
    await loadSodium();
    worker = await startWorker();
    evil = await EvilServer.start(worker.url);
    ring = createKeyRing(true, "test").ring;
    patientApi = (await account("patient", ring.account)).api;
  }, 120_000);

  afterEach(() => evil.behave());
  afterAll(async () => {
    await evil?.close();
    await worker?.stop();
  });

  it("T1 a directory that serves attacker keys for a clinician gets no grant, and the attacker opens no upload", async () => {
    const bob = await account("drbob");
    const attacker = createAccountKeys();
    substituteDirectoryKey(bob.handle, attacker.bundle);
    const contacts = new ContactBook();
    const served = contacts.see(bob.handle, bundleOf(await patientApi.lookupHandle(bob.handle)));
    // The person reads their safety number aloud; the patient's screen shows another one.
    expect(contacts.safetyNumber(ring.account.signKey, served)).not.toBe(
      new ContactBook().safetyNumber(ring.account.signKey, {
        accountId: bob.api.accountId,
        handle: bob.handle,
        bundle: bob.keys.bundle,
      }),
    );
    expect(() => contacts.recipient(served.accountId)).toThrow(UnverifiedRecipient);
    expect(() => glucoseGrant(ring, served.bundle, false)).toThrow(UnverifiedRecipient);

    // Out of band, the patient learns Bob's real keys and shares with them: the attacker still opens nothing.
    evil.behave();
    const real = contacts.see(bob.handle, bundleOf(await patientApi.lookupHandle(bob.handle)));
    contacts.verify(real.accountId, "safety-number");
    await patientApi.postGrant(
      patientApi.accountId,
      glucoseGrant(ring, contacts.recipient(real.accountId).bundle, true).wire,
    );
    const uploads = uploadedGrants();
    expect(uploads.length).toBeGreaterThan(0);
    for (const wire of uploads) expect(() => openGrant(wire, attacker, ring.account.signKey)).toThrow(ForgedGrant);
    expect(openGrant(uploads.at(-1)!, bob.keys, ring.account.signKey).policy.granteeId).toEqual(
      fromHex(bob.api.accountId, 16),
    );
  });

  it("T2 a verified clinician whose keys the server silently changes is blocked until verified again", async () => {
    const carol = await account("drcarol");
    const contacts = new ContactBook();
    const pinned = contacts.see(carol.handle, bundleOf(await patientApi.lookupHandle(carol.handle)));
    contacts.verify(pinned.accountId, "safety-number");

    const rotated = createAccountKeys();
    substituteDirectoryKey(carol.handle, rotated.bundle);
    const lookup = async () => contacts.see(carol.handle, bundleOf(await patientApi.lookupHandle(carol.handle)));
    await expect(lookup()).rejects.toBeInstanceOf(KeyChanged);
    expect(contacts.list().map((c) => c.accountId)).toEqual([pinned.accountId]);

    // The same identity key with a swapped encryption key does not even verify as a bundle.
    evil.behave();
    substituteDirectoryKey(carol.handle, { ...carol.keys.bundle, boxKey: rotated.boxKey });
    await expect(lookup()).rejects.toBeInstanceOf(InvalidSignature);
    // Grants still go to the pinned keys only.
    expect(contacts.recipient(pinned.accountId).bundle.boxKey).toEqual(carol.keys.boxKey);
  });

  it("T4 grants the server makes up in a clinician's inbox are refused, the real one opens", async () => {
    const dave = await account("drdave");
    await patientApi.postGrant(patientApi.accountId, glucoseGrant(ring, dave.keys.bundle, true).wire);
    const [honest] = (await dave.api.inbox()).grants;
    expect(honest).toBeDefined();
    const server = createKeyRing(true, "test").ring;
    // (a) sealed and signed with the server's own keys; (b) the real grant with a widened clear policy re-signed by the server.
    const madeUp = glucoseGrant(server, dave.keys.bundle, true).wire;
    const real = decodeGrantWire(fromBase64Url(honest!.grant));
    const widerPolicy = encodeGrantPolicy({
      ...real.policy,
      entries: real.policy.entries.map((e) => ({ ...e, fromHour: 0 })),
    });
    const widened = encodeGrantWire(
      widerPolicy,
      sign("grantPolicy", server.account.signSecretKey, widerPolicy),
      real.sealed,
    );
    evil.rewrite((request, reply) => {
      if (request.url.pathname !== "/v1/inbox") return reply;
      const entry = { ...honest!, patientId: patientApi.accountId };
      return jsonReply(200, {
        grants: [entry, { ...entry, grant: toBase64Url(madeUp) }, { ...entry, grant: toBase64Url(widened) }],
        revocations: [],
        ended: [],
      });
    });
    const results = (await dave.api.inbox()).grants.map((e) => {
      try {
        return openGrant(fromBase64Url(e.grant), dave.keys, ring.account.signKey).policy.patientId;
      } catch (error) {
        return error;
      }
    });
    expect(results[0]).toEqual(fromHex(patientApi.accountId, 16));
    expect(results[1]).toBeInstanceOf(ForgedGrant);
    expect(results[2]).toBeInstanceOf(ForgedGrant);
  });

  it("T29 a directory entry whose identity key is a small-order point (WebCrypto accepts its signature) is refused by the client", async () => {
    const name = handle("lowOrder");
    const identity = fromHex("0100000000000000000000000000000000000000000000000000000000000000", 32);
    const signature = new Uint8Array(64);
    signature[0] = 1; // R = identity, S = 0: "valid" for any message under a small-order key
    substituteDirectoryKey(name, {
      signKey: identity,
      boxKey: createAccountKeys().boxKey,
      createdAt: Date.now(),
      signature,
    });
    const contacts = new ContactBook();
    const served = bundleOf(await patientApi.lookupHandle(name));
    expect(() => contacts.see(name, served)).toThrow(InvalidSignature);
    expect(contacts.list()).toEqual([]);
  });

  it("T30 an access log with an entry removed, altered or reordered is caught on the patient's device", async () => {
    const erin = await account("drerin");
    await patientApi.postGrant(patientApi.accountId, glucoseGrant(ring, erin.keys.bundle, true).wire);
    await erin.api.request("GET", `/v1/patients/${patientApi.accountId}/envelopes`, {
      auth: true,
      query: { after: "0" },
    });
    const honest = await patientApi.accessLog(patientApi.accountId, 0);
    expect(honest.length).toBeGreaterThanOrEqual(3);
    const head = verifyAccessLogChain(honest);

    const tamper = (edit: (entries: AccessLogEntry[]) => AccessLogEntry[]) =>
      evil.rewrite((request, reply) =>
        request.url.pathname.endsWith("/access-log")
          ? jsonReply(200, { entries: edit(jsonOf<{ entries: AccessLogEntry[] }>(reply).entries) })
          : reply,
      );
    const served = async (edit: (entries: AccessLogEntry[]) => AccessLogEntry[]) => {
      const undo = tamper(edit);
      try {
        return await patientApi.accessLog(patientApi.accountId, 0);
      } finally {
        undo();
      }
    };
    const removed = await served((e) => e.filter((_, i) => i !== 1));
    expect(() => verifyAccessLogChain(removed)).toThrow(GapDetected);
    const altered = await served((e) => e.map((x, i) => (i === 1 ? { ...x, actor: null } : x)));
    expect(() => verifyAccessLogChain(altered)).toThrow(ChainBroken);
    // A reordered log shows a hole where the moved entry should be; a repeated entry goes backwards.
    const reordered = await served((e) => [e[0]!, e[2]!, e[1]!, ...e.slice(3)]);
    expect(() => verifyAccessLogChain(reordered)).toThrow(GapDetected);
    const replayed = await served((e) => [e[0]!, e[1]!, e[1]!, ...e.slice(2)]);
    expect(() => verifyAccessLogChain(replayed)).toThrow(RollbackDetected);
    // A log rolled back to before what this device saw: the old entries do not continue from its head.
    const rolledBack = await served((e) => e.slice(0, 1));
    expect(() => verifyAccessLogChain(rolledBack, head)).toThrow(RollbackDetected);
  });
});
