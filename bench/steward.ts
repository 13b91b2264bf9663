// Steward clients for the benchmarks, built the way the SDK's README shows: a key ring, a Dexie
// database of its own (fake-indexeddb in Node), the shard and record stores, and the sync engine
// over HTTP to the real worker.
import { createAccountKeys, type AccountKeys } from "../crypto/accountKeys.js";
import { toBase64Url } from "../shared/bytes.js";
import { issueGrant, type IssuedGrant } from "../crypto/grant.js";
import type { KeyBundle } from "../shared/keyBundle.js";
import type { Scope } from "../shared/records.js";
import { ServerApi } from "../client/api/serverApi.js";
import { chainPoint, verifiedDeviceList } from "../client/devices.js";
import { createKeyRing, scopeTags, type KeyRing } from "../client/keyRing.js";
import { ownKeySource, type KeySource } from "../client/keySource.js";
import { StewardDatabase } from "../client/store/database.js";
import { RecordStore } from "../client/store/recordStore.js";
import { LocalLog } from "../client/store/localLog.js";
import { HttpTransport } from "../client/sync/httpTransport.js";
import { SyncEngine } from "../client/sync/syncEngine.js";

export interface Device {
  readonly db: StewardDatabase;
  readonly log: LocalLog;
  readonly records: RecordStore;
  readonly sync: SyncEngine;
}

let databases = 0;
const run = Date.now().toString(36);

/** A unique handle per account, so runs against the same worker never collide. */
export function handle(role: string): string {
  return `${role}-${run}-${databases++}`;
}

/**
 * One device: its own empty IndexedDB database, reading and writing with `keys`, signing as
 * `signer` (a patient's device key, or a grantee's identity key on a device of its own).
 */
export function device(
  keys: KeySource,
  signer: Pick<AccountKeys, "signKey" | "signSecretKey"> & { deviceId?: Uint8Array },
  api: ServerApi,
  webSocket?: typeof WebSocket,
): Device {
  const db = new StewardDatabase(`bench-${databases++}`);
  const log = new LocalLog(db, keys, {
    signKey: signer.signKey,
    signSecretKey: signer.signSecretKey,
    deviceId: signer.deviceId ?? crypto.getRandomValues(new Uint8Array(16)),
  });
  return {
    db,
    log,
    records: new RecordStore(log),
    sync: new SyncEngine(log, new HttpTransport(api, webSocket ? { WebSocket: webSocket } : {}), {
      baseMs: 100,
      maxMs: 1_000,
    }),
  };
}

export interface PatientAccount {
  readonly ring: KeyRing;
  readonly api: ServerApi;
  /** The patient's device (a new database, the account's first device key). */
  device(): Device;
}

/** A patient account whose one device signs with its own key, in the device list the patient log holds. */
export async function registerPatient(server: string, fetcher?: typeof fetch): Promise<PatientAccount> {
  const { ring, device: first } = createKeyRing(true, "bench");
  const api = new ServerApi(server, ring.account, fetcher);
  await api.register(handle("patient"));
  await api.publishDevices(api.accountId, ring.devices);
  return { ring, api, device: () => device(ownKeySource(ring), first, api) };
}

export async function registerGrantee(server: string, role: string): Promise<{ keys: AccountKeys; api: ServerApi }> {
  const keys = createAccountKeys();
  const api = new ServerApi(server, keys);
  await api.register(handle(role));
  return { keys, api };
}

export interface ShareOptions {
  readonly scopes: readonly Scope[];
  readonly fromHour: number;
  readonly toHour: number;
  readonly expiresAt: number;
  readonly live?: boolean;
}

/** Issues a grant over every generation of the scopes (the caller verified the grantee) and posts it. */
export function grantFor(patient: PatientAccount, grantee: KeyBundle, options: ShareOptions): IssuedGrant {
  const data = patient.ring.data!;
  const tags = scopeTags(data);
  return issueGrant({
    patient: patient.ring.account,
    recipient: { bundle: grantee, verified: true },
    devices: chainPoint(verifiedDeviceList(patient.ring.devices, patient.ring.account.signKey)),
    scopes: options.scopes.map((scope) => ({
      scope,
      scopeTag: tags.get(scope)!,
      generations: [...data.scopes[scope].roots].map(([generation, root]) => ({ generation, root })),
    })),
    fromHour: options.fromHour,
    toHour: options.toHour,
    expiresAt: options.expiresAt,
    live: options.live ?? false,
  });
}

export async function postGrant(patient: PatientAccount, grant: IssuedGrant): Promise<void> {
  await patient.api.request("POST", `/v1/patients/${patient.api.accountId}/grants`, {
    auth: true,
    json: { grant: toBase64Url(grant.wire) },
  });
}
