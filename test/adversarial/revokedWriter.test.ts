// A revoked write grantee's later envelope relayed by the server to a clinician.
import "fake-indexeddb/auto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadSodium } from "../../crypto/sodium.js";
import { decodePage, encodePage, type Page } from "../../shared/syncFrames.js";
import { Grantee, Patient } from "../../client/index.js";
import { grantKeySource } from "../../client/keySource.js";
import { LocalLog } from "../../client/store/localLog.js";
import { StewardDatabase } from "../../client/store/database.js";
import { RecordStore } from "../../client/store/recordStore.js";
import type { AccountKeys } from "../../crypto/accountKeys.js";
import type { OpenedGrant } from "../../crypto/grant.js";
import { startWorker, type LocalWorker } from "../e2e/localWorker.js";
import { EvilServer, type SeenRequest } from "../helpers/evilServer.js";
import { shareWith } from "../helpers/accounts.js";

const HOUR = 3_600_000;
let worker: LocalWorker;
let evil: EvilServer;
let unique = 0;
const name = (prefix: string) => `${prefix}${Date.now() % 1_000_000}x${unique++}`;
const options = (prefix: string) => ({ server: evil.url, database: name(`writer-${prefix}`) });
const reading = (id: string, mgdl: number, time = Date.now()) => ({ id, type: "cgm" as const, time, body: { mgdl } });
const ids = async (records: { query: RecordStore["query"] }) =>
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

describe("a revoked write grantee relayed to a clinician", () => {
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

  it("the clinician never shows what the revoked nurse signs afterwards", async () => {
    const { patient } = await Patient.create({ ...options("p"), handle: name("rw") });
    const { grantee: nurse } = await Grantee.create({ ...options("nurse"), handle: name("nurse") });
    const { grantee: clinic } = await Grantee.create({ ...options("clinic"), handle: name("clinic") });
    const terms = {
      scopes: ["glucose" as const],
      from: Date.now() - 2 * HOUR,
      to: Date.now() + HOUR,
      expiresAt: Date.now() + 24 * HOUR,
    };
    const nurseGrant = await shareWith(patient, nurse, { ...terms, write: true });
    const view = await nurse.open(nurseGrant.grantId);
    await view.records.put([reading("n1", 130, Date.now() - HOUR)]);
    await view.sync.sync();
    const opened = (view as unknown as { grant: OpenedGrant }).grant;
    await view.close();
    await patient.records.put([reading("p1", 100, Date.now() - HOUR)]);
    await patient.sync.sync();
    await patient.revoke(nurseGrant.grantId);
    const clinicGrant = await shareWith(patient, clinic, terms);

    const account = (nurse as unknown as { ring: { account: AccountKeys } }).ring.account;
    const forged = new LocalLog(new StewardDatabase(name("forger")), grantKeySource(opened, account.signKey), {
      signKey: account.signKey,
      signSecretKey: account.signSecretKey,
      deviceId: crypto.getRandomValues(new Uint8Array(16)),
    });
    await new RecordStore(forged).put([reading("n2", 45, Date.now() - HOUR)]);
    await forged.sealWrites();
    const [late] = await forged.outgoing(1);
    const cview = await clinic.open(clinicGrant.grantId);
    const token = await tokenOf(() => cview.sync.sync());
    rewritePages(token, (page) => ({
      ...page,
      entries: [...page.entries, { seq: page.cursor + 1, compacted: false, bytes: late!.bytes }],
      cursor: page.cursor + 1,
    }));
    const outcome = await cview.sync.sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    const shown = await ids(cview.records);
    expect(outcome).toBeUndefined();
    expect(shown).not.toContain("n2");
    expect(cview.unverifiable).toBeGreaterThan(0);
    expect(shown).toContain("p1");
    await cview.close();
    await patient.close();
    await nurse.close();
    await clinic.close();
  });
});
