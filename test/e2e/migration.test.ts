// The v1 fixtures (test/fixtures/v1: a patient's phone database and the worker's persisted storage,
// written by the v1 code) opened by this code: the phone's first open re-seals its v1 history into
// v2 blocks; a device that holds nothing does the same from the v1 server log; and a clinician
// granted under v1 then reads its grant from blocks. Nothing of what v1 held, written offline
// included, is lost. The account layer (key ring format, device list) is not under test here: the
// devices are built from the fixture's key ring with this code's log, keys and sync.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Dexie from "dexie";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountKeysFrom, type AccountKeys } from "../../crypto/accountKeys.js";
import { fromBase64Url, fromUtf8 } from "../../shared/bytes.js";
import { openGrant } from "../../crypto/grant.js";
import { parseRecoverySecret, unwrapWithRecoverySecret } from "../../crypto/recoveryKit.js";
import { SCOPES, type Scope, type StewardRecord } from "../../shared/records.js";
import { loadSodium } from "../../crypto/sodium.js";
import { ServerApi } from "../../client/api/serverApi.js";
import type { DataKeys } from "../../client/keyRing.js";
import { grantKeySource, ownKeySource, type KeySource } from "../../client/keySource.js";
import { StewardDatabase } from "../../client/store/database.js";
import { LocalLog } from "../../client/store/localLog.js";
import { RecordStore } from "../../client/store/recordStore.js";
import { HttpTransport } from "../../client/sync/httpTransport.js";
import { SyncEngine } from "../../client/sync/syncEngine.js";
import { startWorker, type LocalWorker } from "./localWorker.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/v1/", import.meta.url));
const fixture = JSON.parse(readFileSync(`${FIXTURES}fixture.json`, "utf8")) as {
  patient: { handle: string; recoveryCode: string; accountId: string; keyRing: string };
  clinician: { handle: string; recoveryCode: string; accountId: string };
  offlineIds: string[];
  expected: Record<Scope, StewardRecord[]>;
  clinicExpected: Record<Scope, StewardRecord[]>;
};
const dump = JSON.parse(readFileSync(`${FIXTURES}phone-indexeddb.json`, "utf8")) as {
  tables: Record<string, unknown[]>;
};
const ALL = { from: 0, to: Date.UTC(2026, 9, 10) };

/** The account keys and data keys of a v1 key ring (its JSON, as v1 wrote it). */
function v1Ring(bytes: Uint8Array): { account: AccountKeys; data?: DataKeys } {
  const json = JSON.parse(fromUtf8(bytes)) as {
    account: Record<string, string | number>;
    data?: { metaKey: string; scopes: Record<string, { current: number; roots: Record<string, string> }> };
  };
  const a = json.account;
  const b = (k: string) => fromBase64Url(a[k] as string);
  const account = accountKeysFrom(
    b("signKey"),
    b("signSecretKey"),
    b("boxKey"),
    b("boxSecretKey"),
    a.createdAt as number,
  );
  if (!json.data) return { account };
  const scopes = Object.fromEntries(
    Object.entries(json.data.scopes).map(([scope, s]) => [
      scope,
      { current: s.current, roots: new Map(Object.entries(s.roots).map(([g, r]) => [Number(g), fromBase64Url(r)])) },
    ]),
  );
  return { account, data: { metaKey: fromBase64Url(json.data.metaKey), scopes } as DataKeys };
}

/** Bytes stored as {$bytes: base64url} back to Uint8Array. */
function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === "object") {
    if ("$bytes" in value) return fromBase64Url((value as { $bytes: string }).$bytes);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

/** The phone's v1 database, as the v1 code left it (Dexie schema 1), under a new name. */
async function restorePhone(name: string): Promise<Uint8Array> {
  const db = new Dexie(name);
  db.version(1).stores({
    envelopes: "id, [patient+tag+hour], [patient+seq]",
    outbox: "++order, &id, patient",
    cursors: "patient",
    settings: "",
  });
  await db.open();
  await db.table("envelopes").bulkAdd(revive(dump.tables.envelopes) as object[]);
  await db.table("outbox").bulkAdd(revive(dump.tables.outbox) as object[]);
  await db.table("cursors").bulkAdd(revive(dump.tables.cursors) as object[]);
  for (const { key, value } of dump.tables.settings as { key: string; value: unknown }[])
    await db.table("settings").put(revive(value), key);
  const deviceId = (await db.table("settings").get("deviceId")) as Uint8Array;
  db.close();
  return deviceId;
}

function device(
  name: string,
  keys: KeySource,
  account: AccountKeys,
  deviceId: Uint8Array,
  server: string,
  reader?: string,
) {
  const db = new StewardDatabase(name);
  const log = new LocalLog(
    db,
    keys,
    { signKey: account.signKey, signSecretKey: account.signSecretKey, deviceId },
    reader,
  );
  const records = new RecordStore(log);
  const sync = new SyncEngine(log, new HttpTransport(new ServerApi(server, account)), { baseMs: 50, maxMs: 500 });
  return { db, log, records, sync, close: async () => (await sync.stop(), db.close()) };
}

async function everything(
  records: RecordStore,
  scopes: readonly Scope[] = SCOPES,
): Promise<Record<string, StewardRecord[]>> {
  const out: Record<string, StewardRecord[]> = {};
  for (const scope of scopes) out[scope] = await records.query({ scope, ...ALL });
  return out;
}

function without(records: Record<string, StewardRecord[]>, ids: readonly string[]): Record<string, StewardRecord[]> {
  return Object.fromEntries(
    Object.entries(records).map(([scope, list]) => [scope, list.filter((r) => !ids.includes(r.id))]),
  );
}

/** The clinician of the fixture, from its v1 recovery kit, reading its v1 grant with this code. */
async function clinicianView(server: string, patientKey: Uint8Array) {
  const kit = await new ServerApi(server, undefined).recoveryKit(fixture.clinician.handle);
  const { account } = v1Ring(unwrapWithRecoverySecret(kit.blob, parseRecoverySecret(fixture.clinician.recoveryCode)));
  const api = new ServerApi(server, account);
  const entry = (await api.inbox()).grants.find((g) => g.patientId === fixture.patient.accountId)!;
  const grant = openGrant(fromBase64Url(entry.grant), account, patientKey);
  const view = device(
    `v1-clinic-${Date.now()}`,
    grantKeySource(grant, account.signKey),
    account,
    crypto.getRandomValues(new Uint8Array(16)),
    server,
    entry.grantId,
  );
  return { view, grant };
}

describe("v1 data under this code", () => {
  let ring: { account: AccountKeys; data?: DataKeys };

  beforeAll(async () => {
    await loadSodium();
    ring = v1Ring(fromBase64Url(fixture.patient.keyRing));
  });

  describe("the phone's v1 database and the v1 server log", () => {
    let worker: LocalWorker;
    beforeAll(async () => {
      worker = await startWorker({ from: `${FIXTURES}server-state` });
    }, 120_000);
    afterAll(async () => worker?.stop());

    it("upgrade on first open with nothing lost, offline writes included; the clinician then reads its grant from blocks", async () => {
      const name = `v1-phone-${Date.now()}`;
      const deviceId = await restorePhone(name);
      const phone = device(name, ownKeySource(ring), ring.account, deviceId, worker.url);
      // Offline, before any sync: every v1 record is there to read.
      expect(await everything(phone.records)).toEqual(fixture.expected);
      await phone.sync.sync();
      expect(phone.sync.status.pending).toBe(0);
      expect(await everything(phone.records)).toEqual(fixture.expected);
      // Nothing whole of v1 is left here, nor served by the server: each v1 hour is held by a block.
      expect((await phone.db.envelopes.toArray()).filter((r) => r.whole === undefined)).toEqual([]);

      const { view, grant } = await clinicianView(worker.url, ring.account.signKey);
      await view.sync.sync();
      const granted = grant.scopes.map((s) => s.scope);
      const inRange = (r: StewardRecord) =>
        Math.floor(r.time / 3_600_000) >= grant.scopes[0]!.fromHour &&
        Math.floor(r.time / 3_600_000) <= grant.scopes[0]!.toHour;
      const expectedView = Object.fromEntries(granted.map((s) => [s, fixture.expected[s].filter(inRange)]));
      expect(await everything(view.records, granted)).toEqual(expectedView);
      expect((await view.db.envelopes.toArray()).some((r) => r.bytes[4] === 1)).toBe(false);

      // A device that holds nothing, recovered later, reads all of it from the migrated log.
      const fresh = device(
        `v1-fresh-${Date.now()}`,
        ownKeySource(ring),
        ring.account,
        crypto.getRandomValues(new Uint8Array(16)),
        worker.url,
      );
      await fresh.sync.sync();
      expect(await everything(fresh.records)).toEqual(fixture.expected);
      for (const d of [phone, view, fresh]) await d.close();
    }, 180_000);
  });

  describe("the v1 server log alone", () => {
    let worker: LocalWorker;
    beforeAll(async () => {
      worker = await startWorker({ from: `${FIXTURES}server-state` });
    }, 120_000);
    afterAll(async () => worker?.stop());

    it("is re-sealed by the first device that opens it, and nothing the server held is lost", async () => {
      const fresh = device(
        `v1-server-${Date.now()}`,
        ownKeySource(ring),
        ring.account,
        crypto.getRandomValues(new Uint8Array(16)),
        worker.url,
      );
      await fresh.sync.sync();
      const onServer = without(fixture.expected, fixture.offlineIds);
      expect(await everything(fresh.records)).toEqual(onServer);
      const { view } = await clinicianView(worker.url, ring.account.signKey);
      await view.sync.sync();
      const seen = await everything(view.records, ["glucose", "insulin", "events"]);
      expect(seen).toEqual(fixture.clinicExpected);
      for (const d of [fresh, view]) await d.close();
    }, 180_000);
  });
});
