// Real clients, each with its own IndexedDB, against the real worker on a loopback port.
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountKeys, type AccountKeys } from "../../shared/accountKeys.js";
import { toBase64Url, fromBase64Url } from "../../shared/bytes.js";
import { OutsideGrant, RequestRefused } from "../../shared/errors.js";
import { issueGrant, openGrant } from "../../shared/grant.js";
import { loadSodium } from "../../shared/sodium.js";
import type { Scope, StewardRecord } from "../../shared/records.js";
import { ServerApi } from "../../client/api/serverApi.js";
import { newKeyRing, rotateScopes, scopeTags, type KeyRing } from "../../client/keyRing.js";
import { grantKeySource, ownKeySource, type KeySource } from "../../client/keySource.js";
import { StewardDatabase } from "../../client/store/database.js";
import { RecordStore } from "../../client/store/recordStore.js";
import { ShardStore } from "../../client/store/shards.js";
import { HttpTransport } from "../../client/sync/httpTransport.js";
import { SyncEngine } from "../../client/sync/syncEngine.js";
import { startWorker, type LocalWorker } from "./localWorker.js";

let worker: LocalWorker;
let n = 0;

function client(keys: KeySource, account: AccountKeys, api: ServerApi) {
  const shards = new ShardStore(new StewardDatabase(`e2e-${n++}`), keys, { signKey: account.signKey, signSecretKey: account.signSecretKey, deviceId: crypto.getRandomValues(new Uint8Array(16)) });
  return { shards, records: new RecordStore(shards), sync: new SyncEngine(shards, new HttpTransport(api), { baseMs: 100, maxMs: 1_000 }) };
}

const HOUR = 3_600_000;
const now = Date.now();
const nowHour = Math.floor(now / HOUR);

async function grant(ring: KeyRing, api: ServerApi, grantee: AccountKeys, scopes: Scope[], fromHour: number, toHour: number, live = false) {
  const tags = scopeTags(ring.data!);
  const issued = issueGrant({
    patient: ring.account,
    recipient: { bundle: grantee.bundle, verified: true },
    scopes: scopes.map((scope) => ({ scope, scopeTag: tags.get(scope)!, generations: [...ring.data!.scopes[scope].roots].map(([generation, root]) => ({ generation, root })) })),
    fromHour,
    toHour,
    expiresAt: now + 48 * HOUR,
    live,
  });
  await api.request("POST", `/v1/patients/${api.accountId}/grants`, { auth: true, json: { grant: toBase64Url(issued.wire) } });
  return issued;
}

describe("patient, clinician and caregiver against the real worker", () => {
  let ring: KeyRing;
  let patientApi: ServerApi;
  let clinician: AccountKeys;
  let clinicianApi: ServerApi;
  let caregiver: AccountKeys;
  let caregiverApi: ServerApi;

  beforeAll(async () => {
    await loadSodium();
    worker = await startWorker();
    ring = newKeyRing(createAccountKeys(), true);
    clinician = createAccountKeys();
    caregiver = createAccountKeys();
    patientApi = new ServerApi(worker.url, ring.account);
    clinicianApi = new ServerApi(worker.url, clinician);
    caregiverApi = new ServerApi(worker.url, caregiver);
    await patientApi.register(`patient${n}${Date.now() % 10000}`);
    await clinicianApi.register(`clinic${Date.now() % 100000}`);
    await caregiverApi.register(`carer${Date.now() % 100000}`);
  }, 120_000);

  afterAll(async () => worker?.stop());

  it("a clinician granted 14 days of glucose decrypts exactly those readings; insulin and day 15 stay out", async () => {
    const phone = client(ownKeySource(ring.account.signKey, ring.data!), ring.account, patientApi);
    const start = nowHour - 20 * 24;
    const readings: StewardRecord[] = Array.from({ length: 20 * 24 }, (_, i) => ({ id: `cgm-${i}`, type: "cgm", time: (start + i) * HOUR + 60_000, body: { mgdl: 90 + (i % 60) } }));
    const doses: StewardRecord[] = Array.from({ length: 20 }, (_, i) => ({ id: `bolus-${i}`, type: "bolus", time: (start + i * 24) * HOUR, body: { subType: "normal", normal: 3 } }));
    await phone.records.put([...readings, ...doses]);
    await phone.sync.sync();
    const from = nowHour - 14 * 24;
    await grant(ring, patientApi, clinician, ["glucose"], from, nowHour);

    const [entry] = await clinicianApi.inbox();
    expect(entry?.patientId).toBe(patientApi.accountId);
    const opened = openGrant(fromBase64Url(entry!.grant), clinician, ring.account.signKey);
    const view = client(grantKeySource(opened, clinician.signKey), clinician, clinicianApi);
    await view.sync.sync();
    const got = await view.records.query({ scope: "glucose", from: start * HOUR, to: now });
    const expected = readings.filter((r) => r.time >= from * HOUR);
    expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    await expect(view.records.query({ scope: "insulin", from: start * HOUR, to: now })).rejects.toBeInstanceOf(OutsideGrant);

    // Asking the server directly for the day before the grant, or for insulin, is refused, and the patient sees the attempts.
    const outside = clinicianApi.request("GET", `/v1/patients/${patientApi.accountId}/envelopes`, { auth: true, query: { after: "0", fromHour: String(from - 24), toHour: String(from - 1) } });
    await expect(outside).rejects.toMatchObject({ status: 403 });
    const insulinTag = Buffer.from(scopeTags(ring.data!).get("insulin")!).toString("hex");
    const insulin = clinicianApi.request("GET", `/v1/patients/${patientApi.accountId}/envelopes`, { auth: true, query: { after: "0", tags: insulinTag } });
    await expect(insulin).rejects.toMatchObject({ status: 403 });
    const log = await patientApi.request("GET", `/v1/patients/${patientApi.accountId}/access-log`, { auth: true });
    const entries = ((await log.json()) as { entries: unknown[] }).entries.map((e) => JSON.stringify(e));
    expect(entries.filter((e) => e.includes(clinicianApi.accountId) && /refus|denied|outside/i.test(e)).length).toBeGreaterThanOrEqual(2);
  });

  it("a caregiver with a live grant sees a new reading within a second, and nothing after revocation", async () => {
    const phone = client(ownKeySource(ring.account.signKey, ring.data!), ring.account, patientApi);
    await phone.sync.sync();
    const issued = await grant(ring, patientApi, caregiver, ["glucose"], nowHour - 1, nowHour + 48, true);
    const opened = openGrant(issued.wire, caregiver, ring.account.signKey);
    const view = client(grantKeySource(opened, caregiver.signKey), caregiver, caregiverApi);
    await view.sync.follow();
    const arrived = new Promise<number>((resolve) => view.records.subscribe(() => resolve(Date.now())));
    const sent = Date.now();
    await phone.records.put([{ id: "live-1", type: "cgm", time: now, body: { mgdl: 64 } }]);
    await phone.sync.sync();
    expect((await arrived) - sent).toBeLessThan(1_000);
    expect((await view.records.query({ scope: "glucose", from: now, to: now }))[0]?.id).toBe("live-1");

    const ended = new Promise<void>((resolve) => view.sync.onStatus((s) => s.ended && resolve()));
    await patientApi.request("DELETE", `/v1/patients/${patientApi.accountId}/grants/${toHex(issued.policy.grantId)}`, { auth: true });
    await ended;
    // Revocation rotates the keys: a reading written afterwards does not decrypt with what the caregiver kept.
    rotateScopes(ring.data!, ["glucose"]);
    const after = client(ownKeySource(ring.account.signKey, ring.data!), ring.account, patientApi);
    await after.sync.sync();
    await after.records.put([{ id: "after-revoke", type: "cgm", time: now + 1, body: { mgdl: 180 } }]);
    const [written] = await after.shards.pending();
    await after.sync.sync();
    await expect(view.shards.ingest([{ seq: 1_000_000, compacted: false, bytes: written!.bytes }])).rejects.toThrow(OutsideGrant);
    await expect(view.sync.pull()).rejects.toBeInstanceOf(RequestRefused);
    view.sync.stop();
  });
});

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
