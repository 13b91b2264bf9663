// Real client stacks (own IndexedDB, local log, record store, sync engine) for the adversarial
// suites: one patient device over its own roots, or a grantee's view over an opened grant.
import type { AccountKeys } from "../../crypto/accountKeys.js";
import { decodeBlockPrefix } from "../../shared/blockCodec.js";
import { toHex } from "../../shared/bytes.js";
import { decodeEnvelope } from "../../shared/envelopeCodec.js";
import { issueGrant, type IssuedGrant, type OpenedGrant } from "../../crypto/grant.js";
import type { Scope } from "../../shared/records.js";
import {
  appendDeviceChange,
  certify,
  chainPoint,
  genesisDeviceList,
  newDeviceKeys,
  newRecoveryKeys,
  verifiedDeviceList,
  type DeviceKeys,
} from "../../client/devices.js";
import { scopeTags, type KeyRing } from "../../client/keyRing.js";
import { grantKeySource, ownKeySource, type DelegatedWriter, type KeySource } from "../../client/keySource.js";
import { StewardDatabase } from "../../client/store/database.js";
import { LocalLog, type Outgoing } from "../../client/store/localLog.js";
import { RecordStore } from "../../client/store/recordStore.js";
import { SyncEngine } from "../../client/sync/syncEngine.js";
import type { SyncTransport } from "../../client/sync/transport.js";
import type { Author } from "../../client/store/outbox.js";

let databases = 0;

export interface Device {
  readonly db: StewardDatabase;
  readonly log: LocalLog;
  readonly records: RecordStore;
  readonly sync: SyncEngine;
  /** The keys it signs with (a patient's device key, or a grantee's identity key). */
  readonly author: Author;
  close(): Promise<void>;
}

/** The first device certified in each ring here (it signs the list's later changes), and the rings by patient id. */
type Certifying = Pick<KeyRing, "account"> & { devices?: Uint8Array };
const firstDevice = new WeakMap<Certifying, DeviceKeys>();
const rings = new Map<string, Certifying>();

/**
 * A new device of the patient's, certified in `ring`'s device list (the first call gives the ring
 * a list of its own): what a linked device signs envelopes with. Grantee views in these suites read
 * the list from the same ring, as a grantee's device fetches it from the patient log.
 */
export function deviceAuthor(ring: Certifying, name = "device"): Author {
  const keys = newDeviceKeys(name);
  const first = firstDevice.get(ring);
  if (first)
    ring.devices = appendDeviceChange(
      ring.devices!,
      ring.account,
      { kind: "device", device: first },
      { op: "add", certificate: certify(ring.account, keys) },
    );
  else {
    ring.devices = genesisDeviceList(ring.account, keys, newRecoveryKeys());
    firstDevice.set(ring, keys);
    rings.set(toHex(ring.account.signKey), ring);
  }
  return { signKey: keys.signKey, signSecretKey: keys.signSecretKey, deviceId: keys.deviceId };
}

function device(keys: KeySource, author: Author, transport: SyncTransport, name: string): Device {
  const db = new StewardDatabase(`${name}-${databases++}`);
  const log = new LocalLog(db, keys, author);
  const sync = new SyncEngine(log, transport, { baseMs: 5, maxMs: 20 });
  return {
    db,
    log,
    records: new RecordStore(log),
    sync,
    author,
    async close() {
      await sync.stop();
      log.evict();
      db.close();
    },
  };
}

/** One of the patient's devices: the patient's own roots, in its own database. */
export function patientDevice(
  ring: KeyRing,
  transport: SyncTransport,
  name = "patient",
  writers: () => readonly DelegatedWriter[] = () => [],
): Device {
  return device(ownKeySource(ring, writers), deviceAuthor(ring, name), transport, name);
}

/** A clinician's or caregiver's view of one patient, through a grant it opened. */
export function granteeDevice(
  grant: OpenedGrant,
  account: AccountKeys,
  transport: SyncTransport,
  name = "grantee",
): Device {
  const devices = () => rings.get(toHex(grant.policy.patientKey))?.devices;
  const author = {
    signKey: account.signKey,
    signSecretKey: account.signSecretKey,
    deviceId: crypto.getRandomValues(new Uint8Array(16)),
  };
  return device(grantKeySource(grant, account.signKey, devices), author, transport, name);
}

/** A grant from the patient's ring (every generation of each scope) to a grantee taken as verified, for a day. */
export function grantFromRing(
  ring: KeyRing,
  grantee: AccountKeys,
  scopes: Scope[],
  fromHour: number,
  toHour: number,
  write = false,
): IssuedGrant {
  const tags = scopeTags(ring.data!);
  return issueGrant({
    patient: ring.account,
    recipient: { bundle: grantee.bundle, verified: true },
    devices: chainPoint(verifiedDeviceList(ring.devices, ring.account.signKey)),
    scopes: scopes.map((scope) => ({
      scope,
      scopeTag: tags.get(scope)!,
      generations: [...ring.data!.scopes[scope].roots].map(([generation, root]) => ({ generation, root })),
    })),
    fromHour,
    toHour,
    expiresAt: Date.now() + 86_400_000,
    write,
  });
}

/** What a device would push now: its writes sealed into envelopes, and its outbox, in order, with where each belongs. */
export async function unsent(log: LocalLog): Promise<(Outgoing & { tag: string; hour: number })[]> {
  await log.sealWrites();
  return (await log.outgoing(Infinity)).map((o) => {
    const header = o.kind === "envelope" ? decodeEnvelope(o.bytes).header : decodeBlockPrefix(o.bytes).header;
    return {
      ...o,
      tag: toHex(header.scopeTag),
      hour: "hour" in header ? header.hour : header.node * 2 ** header.level,
    };
  });
}
