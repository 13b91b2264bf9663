// Real client stacks (own IndexedDB, shard store, record store, sync engine) for the adversarial
// suites: one patient device over its own roots, or a grantee's view over an opened grant.
import type { AccountKeys } from "../../shared/accountKeys.js";
import { issueGrant, type IssuedGrant, type OpenedGrant } from "../../shared/grant.js";
import type { Scope } from "../../shared/records.js";
import { scopeTags, type KeyRing } from "../../client/keyRing.js";
import { grantKeySource, ownKeySource, type DelegatedWriter, type KeySource } from "../../client/keySource.js";
import { StewardDatabase } from "../../client/store/database.js";
import { RecordStore } from "../../client/store/recordStore.js";
import { ShardStore } from "../../client/store/shards.js";
import { SyncEngine } from "../../client/sync/syncEngine.js";
import type { SyncTransport } from "../../client/sync/transport.js";

let databases = 0;

export interface Device {
  readonly db: StewardDatabase;
  readonly shards: ShardStore;
  readonly records: RecordStore;
  readonly sync: SyncEngine;
  close(): Promise<void>;
}

function device(keys: KeySource, author: AccountKeys, transport: SyncTransport, name: string): Device {
  const db = new StewardDatabase(`${name}-${databases++}`);
  const shards = new ShardStore(db, keys, { signKey: author.signKey, signSecretKey: author.signSecretKey, deviceId: crypto.getRandomValues(new Uint8Array(16)) });
  const sync = new SyncEngine(shards, transport, { baseMs: 5, maxMs: 20 });
  return {
    db,
    shards,
    records: new RecordStore(shards),
    sync,
    async close() {
      await sync.stop();
      shards.evict();
      db.close();
    },
  };
}

/** One of the patient's devices: the patient's own roots, in its own database. */
export function patientDevice(ring: KeyRing, transport: SyncTransport, name = "patient", writers: () => readonly DelegatedWriter[] = () => []): Device {
  return device(ownKeySource(ring.account.signKey, ring.data!, writers), ring.account, transport, name);
}

/** A clinician's or caregiver's view of one patient, through a grant it opened. */
export function granteeDevice(grant: OpenedGrant, account: AccountKeys, transport: SyncTransport, name = "grantee"): Device {
  return device(grantKeySource(grant, account.signKey), account, transport, name);
}

/** A grant from the patient's ring (every generation of each scope) to a grantee taken as verified, for a day. */
export function grantFromRing(ring: KeyRing, grantee: AccountKeys, scopes: Scope[], fromHour: number, toHour: number, write = false): IssuedGrant {
  const tags = scopeTags(ring.data!);
  return issueGrant({
    patient: ring.account,
    recipient: { bundle: grantee.bundle, verified: true },
    scopes: scopes.map((scope) => ({ scope, scopeTag: tags.get(scope)!, generations: [...ring.data!.scopes[scope].roots].map(([generation, root]) => ({ generation, root })) })),
    fromHour,
    toHour,
    expiresAt: Date.now() + 86_400_000,
    write,
  });
}
