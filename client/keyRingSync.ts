// This device's replica of the account's key ring. The server holds the ring sealed
// (client/sealedKeyRing.ts) under a version number it stores only as the next one after what it
// holds, so a change is a compare-and-swap: fetch, merge, apply, store, and only then adopt here.
// Two devices that change the ring (a rotation on one, a new contact on the other) merge instead
// of overwriting each other.
import { bytesEqual } from "../shared/bytes.js";
import { ForkDetected, MalformedInput, RequestRefused, RollbackDetected, ServerUnreachable } from "../shared/errors.js";
import { SCOPES } from "../shared/records.js";
import type { ServerApi } from "./api/serverApi.js";
import type { Contact } from "./contacts.js";
import { chainPoint, longerDeviceList, verifiedDeviceList, type DeviceKeys } from "./devices.js";
import { decodeKeyRing, encodeKeyRing, type KeyRing } from "./keyRing.js";
import { revokedShare } from "./revocations.js";
import { deviceReader, openKeyRing, sealKeyRing, type RingReader } from "./sealedKeyRing.js";
import type { DeviceSettings } from "./settings.js";
import type { StewardDatabase } from "./store/database.js";
import { saveKeyRing } from "./store/keyStore.js";

const RING_RETRIES = 5;

/** Of two records of one contact, the verified one, or the later verified. */
export function newerContact(a: Contact, b: Contact): Contact {
  if ((a.verifiedAt === undefined) !== (b.verifiedAt === undefined)) return a.verifiedAt !== undefined ? a : b;
  return (b.verifiedAt ?? 0) > (a.verifiedAt ?? 0) ? b : a;
}

/**
 * Everything either copy knows: roots of every generation (ForkDetected if the two disagree on
 * one), the newest current generation, the device list that continues the other, verified
 * contacts over unverified ones, invites still open on both sides, every revocation and the
 * highest revision seen of each grant.
 */
export function mergeKeyRings(stored: KeyRing, local: KeyRing): KeyRing {
  if (!bytesEqual(stored.account.signKey, local.account.signKey))
    throw new MalformedInput("cannot merge key rings of two accounts");
  let data = stored.data ?? local.data;
  if (stored.data && local.data) {
    if (!bytesEqual(stored.data.metaKey, local.data.metaKey))
      throw new MalformedInput("the two key rings disagree on the metadata key");
    const scopes = { ...stored.data.scopes };
    for (const scope of SCOPES) {
      const a = stored.data.scopes[scope];
      const b = local.data.scopes[scope];
      for (const [generation, root] of b.roots) {
        const theirs = a.roots.get(generation);
        // Rotations are stored before they are used, so two roots for one generation mean the server
        // showed two devices different histories.
        if (theirs && !bytesEqual(theirs, root))
          throw new ForkDetected(
            `two of your devices hold different ${scope} keys for generation ${generation}: the server showed them different key rings`,
          );
      }
      scopes[scope] = { current: Math.max(a.current, b.current), roots: new Map([...b.roots, ...a.roots]) };
    }
    data = { metaKey: stored.data.metaKey, scopes };
  }
  const contacts = new Map<string, Contact>();
  for (const c of [...stored.contacts, ...local.contacts]) {
    const known = contacts.get(c.accountId);
    contacts.set(c.accountId, known ? newerContact(known, c) : c);
  }
  const closedInvites = [...new Set([...stored.closedInvites, ...local.closedInvites])];
  const invites = [...new Map([...local.invites, ...stored.invites].map((i) => [i.id, i])).values()].filter(
    (i) => !closedInvites.includes(i.id),
  );
  const revocations = [
    ...new Map([...local.revocations, ...stored.revocations].map((r) => [revokedShare(r), r])).values(),
  ];
  const grantRevisions = { ...stored.grantRevisions };
  for (const [grantId, revision] of Object.entries(local.grantRevisions))
    grantRevisions[grantId] = Math.max(revision, grantRevisions[grantId] ?? 0);
  const devices = longerDeviceList(stored.devices, local.devices, stored.account.signKey);
  return {
    account: stored.account,
    devices,
    ...(data ? { data } : {}),
    contacts: [...contacts.values()],
    invites,
    closedInvites,
    revocations,
    grantRevisions,
  };
}

/**
 * Stores `ring` as the next version after what the server holds: `change` is applied to the
 * server's copy merged with `ring`; a device that lost the race merges again and retries.
 */
export async function storeNextRing(
  api: ServerApi,
  ring: KeyRing,
  device: DeviceKeys,
  reader: RingReader,
  seen: number,
  change: (ring: KeyRing) => void = () => undefined,
): Promise<{ ring: KeyRing; version: number }> {
  for (let attempt = 0; ; attempt++) {
    const stored = await api.keyRing();
    const known = chainPoint(verifiedDeviceList(ring.devices, ring.account.signKey));
    const open = {
      identityKey: ring.account.signKey,
      reader,
      announcedVersion: stored?.version ?? 0,
      seenVersion: seen,
      knownDevices: known,
    };
    const base = stored ? mergeKeyRings(openKeyRing(stored.blob, open), ring) : decodeKeyRing(encodeKeyRing(ring));
    change(base);
    const version = (stored?.version ?? 0) + 1;
    try {
      await api.storeKeyRing(version, sealKeyRing(base, version, device));
      return { ring: base, version };
    } catch (error) {
      if (error instanceof RequestRefused && error.status === 409 && attempt < RING_RETRIES) continue;
      throw error;
    }
  }
}

/** Whether a change made offline may stay on this device until the next refresh. */
export type OfflineChange = "keep-offline" | "require-stored";

/**
 * The live key ring of one device and its copy on the server. Work runs one task at a time, so two
 * changes never adopt each other's stale copies; `ring` is changed in place, so key sources
 * holding it see new roots at once.
 */
export class KeyRingReplica {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly ring: KeyRing,
    private readonly db: StewardDatabase,
    private readonly settings: DeviceSettings,
    private readonly api: ServerApi,
    private readonly device: DeviceKeys,
    /** Told after every adoption (the contact book is rebuilt from the ring). */
    private readonly adopted: (ring: KeyRing) => void,
  ) {}

  /**
   * Changes the key ring everywhere: merges the server's copy, applies `change` to a copy, stores it
   * as the next version, and only then adopts it here. With "keep-offline" (contacts), a change
   * made offline stays on this device and is stored by the next `refresh`; key rotations and
   * revocations are never adopted unless the server stored them.
   */
  update(change: (ring: KeyRing) => void, offline: OfflineChange = "require-stored"): Promise<void> {
    return this.task(() => this.updateNow(change, offline));
  }

  /** Brings in what other devices stored (new roots, contacts, invites) and stores local-only changes. */
  refresh(): Promise<void> {
    return this.task(async () => {
      if ((await this.settings.get("keyRingDirty")) === true) return this.updateNow(() => undefined, "require-stored");
      const seen = await this.seenVersion();
      const stored = await this.stored(seen);
      if (!stored || stored.version === seen) return;
      await this.adopt(mergeKeyRings(stored.ring, this.ring), stored.version, false);
    });
  }

  /** The newest version this device has seen (0 before the first). */
  async seenVersion(): Promise<number> {
    return (await this.settings.get("keyRingVersion")) ?? 0;
  }

  /** Resolves once the work queued so far has run. */
  async idle(): Promise<void> {
    await this.queue;
  }

  private task<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async updateNow(change: (ring: KeyRing) => void, offline: OfflineChange): Promise<void> {
    const seen = await this.seenVersion();
    let stored: Awaited<ReturnType<typeof storeNextRing>>;
    try {
      stored = await storeNextRing(this.api, this.ring, this.device, deviceReader(this.device), seen, change);
    } catch (error) {
      const unreachable = error instanceof ServerUnreachable || (error instanceof RequestRefused && error.transient);
      if (offline !== "keep-offline" || !unreachable) throw error;
      const next = decodeKeyRing(encodeKeyRing(this.ring));
      change(next);
      await this.adopt(next, seen, true);
      return;
    }
    await this.adopt(stored.ring, stored.version, false);
  }

  /** The server's key ring, checked; a ring gone after this device saw one is a rollback. */
  private async stored(seen: number): Promise<{ ring: KeyRing; version: number } | undefined> {
    const stored = await this.api.keyRing();
    if (!stored) {
      if (seen > 0)
        throw new RollbackDetected(
          `the server no longer has this account's key ring, of which this device saw version ${seen}`,
        );
      return undefined;
    }
    const open = {
      identityKey: this.ring.account.signKey,
      reader: deviceReader(this.device),
      announcedVersion: stored.version,
      seenVersion: seen,
      knownDevices: chainPoint(verifiedDeviceList(this.ring.devices, this.ring.account.signKey)),
    };
    return { ring: openKeyRing(stored.blob, open), version: stored.version };
  }

  /** Copies `next` into the live ring in place, then keeps it and its version. */
  private async adopt(next: KeyRing, version: number, dirty: boolean): Promise<void> {
    if (next.data && this.ring.data) {
      for (const scope of SCOPES) {
        const keys = next.data.scopes[scope];
        const live = this.ring.data.scopes[scope];
        for (const [generation, root] of keys.roots) live.roots.set(generation, root);
        live.current = keys.current;
      }
    }
    this.ring.devices = next.devices;
    this.ring.contacts = next.contacts;
    this.ring.invites = next.invites;
    this.ring.closedInvites = next.closedInvites;
    this.ring.revocations = next.revocations;
    this.ring.grantRevisions = next.grantRevisions;
    this.adopted(this.ring);
    await saveKeyRing(this.db, encodeKeyRing(this.ring));
    await this.settings.putAll({ keyRingVersion: version, keyRingDirty: dirty });
  }
}
