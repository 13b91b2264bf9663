// What every Steward device has, whatever the person's role: the account keys and key ring (kept
// wrapped in IndexedDB and synced sealed through the server), this device's own keys, certified in
// the account's device list, the pinned contacts, a session with the server, and the ways a device
// comes to hold an account (create, recover, link).
import { verifyKeyBundle } from "../shared/accountKeys.js";
import { bytesEqual, fromBase64Url, toHex } from "../shared/bytes.js";
import { DeviceNotReady, InvalidSignature, KeyChanged, MalformedInput, RequestRefused, RollbackDetected, ServerUnreachable, TamperedEnvelope } from "../shared/errors.js";
import { accountIdHex, bundlePlacement, decodeKeyBundle } from "../shared/keyBundle.js";
import { checkPlacement, type Placement } from "../shared/placement.js";
import { newRecoverySecret, parseRecoverySecret, unwrapWithRecoverySecret, wrapWithRecoverySecret } from "../shared/recoveryKit.js";
import { loadSodium } from "../shared/sodium.js";
import { ServerApi, type LoginSigner } from "./api/serverApi.js";
import { ContactBook, type Contact } from "./contacts.js";
import {
  checkCommitment,
  commitMessage,
  ephemeralKeys,
  keyMessage,
  newDevicePayload,
  newLinkChannel,
  openCommitMessage,
  openFromExistingDevice,
  openKeyMessage,
  parseLinkCode,
  readNewDevicePayload,
  sealForNewDevice,
  shortAuthenticationString,
} from "./deviceLink.js";
import {
  appendDeviceChange,
  certify,
  chainPoint,
  decodeDeviceKeys,
  encodeDeviceKeys,
  newDeviceKeys,
  ownEntry,
  RECOVERY_RECIPIENT,
  verifiedDeviceList,
  type DeviceKeys,
  type DevicePublicKeys,
  type LinkSigner,
} from "./devices.js";
import { createKeyRing, decodeKeyRing, decodeRecoveryPayload, encodeKeyRing, encodeRecoveryPayload, type KeyRing } from "./keyRing.js";
import { deviceReader, mergeKeyRings, newerContact, openKeyRing, sealKeyRing, type RingReader } from "./keyRingSync.js";
import { StewardDatabase, type StorageOptions } from "./store/database.js";
import { deleteSecret, loadKeyRing, loadSecret, saveKeyRing, saveSecret } from "./store/keyStore.js";

export interface OpenOptions {
  /** The Steward server, e.g. "http://127.0.0.1:8787". */
  readonly server: string;
  /** IndexedDB database name: one per account on a device. */
  readonly database?: string;
  /** Where invite links point (the web app's address); defaults to the server, which serves the app. */
  readonly appUrl?: string;
  /** What this device is called in the account's device list when it joins (create, link, recover). */
  readonly deviceName?: string;
  readonly fetch?: typeof fetch;
  readonly WebSocket?: typeof WebSocket;
  /** Another IndexedDB and a caller-held key for the key ring (Node, which has neither). */
  readonly storage?: StorageOptions;
}

export type Role = "patient" | "grantee";

/** The pieces a role class is built from. */
export interface DeviceState {
  readonly options: OpenOptions;
  readonly db: StewardDatabase;
  readonly ring: KeyRing;
  readonly device: DeviceKeys;
  readonly api: ServerApi;
  readonly handle: string;
}

/** A new device waiting to be linked: show `code`, then compare `sas()` with the other screen. */
export interface LinkRequest<T> {
  readonly code: string;
  /** Resolves once the existing device answered: the six digits both screens must show. */
  sas(): Promise<string>;
  /** After the person confirmed the digits match: waits for the key ring and opens the account. */
  complete(): Promise<T>;
  /** Stops waiting (the person gave up, or left the screen). */
  cancel(): void;
}

/** One device of the account, as the device list shows it. */
export interface DeviceInfo {
  readonly deviceId: string;
  readonly name: string;
  readonly addedAt: number;
  /** Set once removed from the account. */
  readonly removedAt?: number;
  /** Whether it is the device this code runs on. */
  readonly thisDevice: boolean;
  /** When it last signed something this device has seen (its latest head), if known. */
  readonly lastSeenAt?: number;
}

const SETTINGS = { role: "role", handle: "handle", ringVersion: "keyRingVersion", ringDirty: "keyRingDirty", ready: "accountReady" } as const;
const POLL_MS = 400;
const RING_RETRIES = 5;

function databaseOf(options: Pick<OpenOptions, "database" | "storage">): StewardDatabase {
  return new StewardDatabase(options.database ?? "steward", options.storage);
}

/** The server, logged in to as `signer` (this device's own key; the recovery key while recovering). */
function apiOf(options: OpenOptions, ring?: KeyRing, signer?: LoginSigner): ServerApi {
  return new ServerApi(options.server, ring?.account, options.fetch, signer);
}

function deviceSigner(device: DeviceKeys): LoginSigner {
  return { id: device.deviceId, secretKey: device.signSecretKey };
}

/** Stores the account and this device's own keys; `ready` once the server knows them too. */
async function persist(db: StewardDatabase, ring: KeyRing, device: DeviceKeys, role: Role, handle: string, ringVersion: number, ready: boolean): Promise<void> {
  await saveSecret(db, "wrappedDeviceKeys", encodeDeviceKeys(device));
  await saveKeyRing(db, encodeKeyRing(ring));
  await db.settings.bulkPut([role, handle, ringVersion, ready], [SETTINGS.role, SETTINGS.handle, SETTINGS.ringVersion, SETTINGS.ready]);
}

/** The flag is written only with a saved key ring, so reading it costs no decryption. */
async function holdsReadyAccount(db: StewardDatabase): Promise<boolean> {
  return (await db.settings.get(SETTINGS.ready)) === true;
}

function checkRole(ring: KeyRing, role: Role): void {
  if (role === "patient" && !ring.data) throw new DeviceNotReady("this account is a clinician or caregiver account, not a patient's");
  if (role === "grantee" && ring.data) throw new DeviceNotReady("this account is a patient's account; open it as a patient");
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Stores `ring` as the next version after what the server holds; `change` is applied to the stored copy merged with `ring`. */
async function storeNextRing(api: ServerApi, ring: KeyRing, device: DeviceKeys, reader: RingReader, seen: number, change: (ring: KeyRing) => void = () => undefined): Promise<{ ring: KeyRing; version: number }> {
  for (let attempt = 0; ; attempt++) {
    const stored = await api.keyRing();
    const known = chainPoint(verifiedDeviceList(ring.devices, ring.account.signKey));
    const base = stored
      ? mergeKeyRings(openKeyRing(stored.blob, { identityKey: ring.account.signKey, reader, announcedVersion: stored.version, seenVersion: seen, knownDevices: known }), ring)
      : decodeKeyRing(encodeKeyRing(ring));
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

/**
 * Creates an account, registers it, stores the recovery kit and the first synced key ring. The keys
 * are kept on the device first: an attempt cut short (no network, a closed tab) resumes with the
 * same keys on the next call, so the handle it claimed is not lost.
 */
export async function createDevice(options: OpenOptions, handle: string, role: Role, placement: Placement = "default"): Promise<{ state: DeviceState; recoveryCode: string }> {
  checkPlacement(placement);
  await loadSodium();
  const db = databaseOf(options);
  if (await holdsReadyAccount(db)) throw new DeviceNotReady(`this device already holds an account in "${db.name}"; open it, or use another database name`);
  const unfinished = await loadSecret(db, "wrappedRecoveryPayload");
  const started = unfinished
    ? { ...decodeRecoveryPayload(unfinished), device: decodeDeviceKeys((await loadSecret(db, "wrappedDeviceKeys"))!) }
    : createKeyRing(role === "patient", options.deviceName ?? "First device", placement);
  const { ring, device, recovery } = started;
  checkRole(ring, role);
  // The recovery key pairs stay on this device only until the kit holding them is stored.
  if (!unfinished) await saveSecret(db, "wrappedRecoveryPayload", encodeRecoveryPayload(ring, recovery));
  await persist(db, ring, device, role, handle.toLowerCase(), 0, false);
  const api = apiOf(options, ring, deviceSigner(device));
  const profile = await api.register(handle, ring.devices);
  const code = newRecoverySecret();
  await api.storeRecoveryKit(wrapWithRecoverySecret(encodeRecoveryPayload(ring, recovery), code));
  const stored = await api.keyRing();
  if (!stored) await api.storeKeyRing(1, sealKeyRing(ring, 1, device));
  await persist(db, ring, device, role, profile.handle, stored?.version ?? 1, true);
  await deleteSecret(db, "wrappedRecoveryPayload");
  return { state: { options, db, ring, device, api, handle: profile.handle }, recoveryCode: code.text };
}

/**
 * Which kind of account this device holds ("patient" or "grantee"), or undefined when it holds
 * none yet. Reads one stored flag, decrypts nothing, and works offline: an app calls it to know
 * whether to open a Patient or a Grantee.
 */
export async function roleOnDevice(options: Pick<OpenOptions, "database" | "storage">): Promise<Role | undefined> {
  const db = databaseOf(options);
  try {
    const [ready, role] = await db.settings.bulkGet([SETTINGS.ready, SETTINGS.role]);
    return ready === true && (role === "patient" || role === "grantee") ? role : undefined;
  } finally {
    db.close();
  }
}

/** This device's stored account of `role`, or undefined when it has none. Works offline. */
export async function openDevice(options: OpenOptions, role: Role): Promise<DeviceState | undefined> {
  await loadSodium();
  const db = databaseOf(options);
  if (!(await holdsReadyAccount(db))) {
    db.close();
    return undefined;
  }
  const ring = decodeKeyRing((await loadKeyRing(db))!);
  checkRole(ring, role);
  const device = decodeDeviceKeys((await loadSecret(db, "wrappedDeviceKeys"))!);
  const handle = (await db.settings.get(SETTINGS.handle)) as string;
  return { options, db, ring, device, api: apiOf(options, ring, deviceSigner(device)), handle };
}

/**
 * A new device from the recovery kit stored under `handle` and the code the person kept. The kit's
 * recovery key opens the stored ring and adds this device to the device list (no other device
 * needs to be at hand); the devices listed before stay until the person removes the lost ones.
 */
export async function recoverDevice(options: OpenOptions, handle: string, recoveryCode: string, role: Role): Promise<DeviceState> {
  await loadSodium();
  const secret = parseRecoverySecret(recoveryCode);
  const { accountId, blob } = await apiOf(options).recoveryKit(handle);
  const kit = decodeRecoveryPayload(unwrapWithRecoverySecret(blob, secret));
  if (accountIdHex(kit.ring.account.signKey) !== accountId) throw new TamperedEnvelope("the recovery kit served for this handle belongs to another account");
  checkRole(kit.ring, role);
  const db = databaseOf(options);
  if (await holdsReadyAccount(db)) throw new DeviceNotReady(`this device already holds an account in "${db.name}"`);
  // Until this device is in the device list, the recovery key logs in and signs the change.
  const recoveryApi = apiOf(options, kit.ring, { id: RECOVERY_RECIPIENT, secretKey: kit.recovery.signSecretKey });
  const device = newDeviceKeys(options.deviceName ?? "Recovered device");
  const reader = { recipient: RECOVERY_RECIPIENT, boxKey: kit.recovery.boxKey, boxSecretKey: kit.recovery.boxSecretKey };
  const signer: LinkSigner = { kind: "recovery", keys: kit.recovery };
  const { ring, version } = await storeNextRing(recoveryApi, kit.ring, device, reader, 0, (base) => {
    base.devices = appendDeviceChange(base.devices, base.account, signer, { op: "add", certificate: certify(base.account, device) });
  });
  await recoveryApi.publishAccountDevices(ring.devices);
  await persist(db, ring, device, role, handle.toLowerCase(), version, true);
  return { options, db, ring, device, api: apiOf(options, ring, deviceSigner(device)), handle: handle.toLowerCase() };
}

/** A bundle the directory served, checked to be self-signed and to belong to `accountId`. */
function checkedBundle(handle: string, accountId: string, bytes: Uint8Array) {
  const bundle = verifyKeyBundle(decodeKeyBundle(bytes));
  if (accountIdHex(bundle.signKey) !== accountId) throw new KeyChanged(`the server answered for "${handle}" with keys that do not belong to that account`);
  return bundle;
}

/** Polls a link slot until it holds `count` messages (or the slot expires: RequestRefused 404). */
async function linkMessages(relay: ServerApi, slotId: string, count: number, cancelled: () => boolean = () => false): Promise<Uint8Array[]> {
  for (;;) {
    if (cancelled()) throw new DeviceNotReady("linking was cancelled");
    const slot = await relay.readSlot("link", slotId);
    if (slot.messages.length >= count) return slot.messages.map((m) => fromBase64Url(m.body, "link message"));
    await sleep(POLL_MS);
  }
}

/** The new device's side of linking (see client/deviceLink.ts). */
export async function requestDeviceLink<T>(options: OpenOptions, role: Role, open: (state: DeviceState) => T | Promise<T>): Promise<LinkRequest<T>> {
  await loadSodium();
  const channel = newLinkChannel();
  const mine = ephemeralKeys();
  const device = newDeviceKeys(options.deviceName ?? "New device");
  const payload = newDevicePayload(mine.publicKey, device);
  const relay = apiOf(options);
  await relay.openSlot("link", channel.slotId, { body: commitMessage(channel, payload) });
  let cancelled = false;
  let shown = false;
  // Reveal our keys as soon as the existing device answered, so both screens can show the digits.
  const answered = (async () => {
    const theirs = openKeyMessage(channel, "existing", (await linkMessages(relay, channel.slotId, 2, () => cancelled))[1]!);
    await relay.postToSlot("link", channel.slotId, 2, keyMessage(channel, "new", payload));
    return theirs;
  })();
  answered.catch(() => undefined); // surfaced by sas() and complete()
  return {
    code: channel.code,
    async sas() {
      const digits = shortAuthenticationString(payload, await answered);
      shown = true;
      return digits;
    },
    async complete() {
      if (!shown) throw new DeviceNotReady("compare the six digits on both screens (sas()) before completing the link");
      const theirs = await answered;
      const ring = decodeKeyRing(openFromExistingDevice((await linkMessages(relay, channel.slotId, 4, () => cancelled))[3]!, theirs, mine));
      checkRole(ring, role);
      const entry = ownEntry(verifiedDeviceList(ring.devices, ring.account.signKey), device);
      if (!entry || entry.removed) throw new InvalidSignature("the key ring from the other device does not list this device: start linking again");
      const db = databaseOf(options);
      if (await holdsReadyAccount(db)) throw new DeviceNotReady(`this device already holds an account in "${db.name}"`);
      const api = apiOf(options, ring, deviceSigner(device));
      const profile = await api.lookupAccount(accountIdHex(ring.account.signKey));
      await persist(db, ring, device, role, profile.handle, 0, true);
      return open({ options, db, ring, device, api, handle: profile.handle });
    },
    cancel() {
      cancelled = true;
    },
  };
}

/** Shared behaviour of patient and grantee devices. */
export abstract class AccountDevice {
  protected readonly db: StewardDatabase;
  protected readonly ring: KeyRing;
  protected readonly api: ServerApi;
  protected readonly options: OpenOptions;
  protected book: ContactBook;
  /** This device's own keys: it signs with them, and the key ring is sealed to them. */
  protected readonly device: DeviceKeys;
  private ringQueue: Promise<unknown> = Promise.resolve();
  readonly handle: string;

  protected constructor(state: DeviceState) {
    this.db = state.db;
    this.ring = state.ring;
    this.api = state.api;
    this.options = state.options;
    this.handle = state.handle;
    this.device = state.device;
    this.book = new ContactBook(state.ring.contacts);
  }

  get deviceId(): Uint8Array {
    return this.device.deviceId;
  }

  get accountId(): string {
    return accountIdHex(this.ring.account.signKey);
  }

  /** Where this account's data lives, chosen at sign-up and fixed by its signed record. */
  get placement(): Placement {
    return bundlePlacement(this.ring.account.bundle);
  }

  contacts(): Contact[] {
    return this.book.list();
  }

  /**
   * Looks a person up by handle and pins their keys (unverified until `verifyContact`). The server is
   * not trusted for keys: the bundle must be self-signed and match the account id, and keys that
   * differ from pinned ones raise KeyChanged.
   */
  async findContact(handle: string): Promise<Contact> {
    const profile = await this.api.lookupHandle(handle);
    return this.pin(profile.handle, profile.accountId, fromBase64Url(profile.bundle, "bundle"));
  }

  /** Pins a contact by account id (a patient who shared, an invitee who answered). */
  protected async contactById(accountId: string): Promise<Contact> {
    const known = this.book.get(accountId);
    if (known) return known;
    const profile = await this.api.lookupAccount(accountId);
    return this.pin(profile.handle, accountId, fromBase64Url(profile.bundle, "bundle"));
  }

  /** Someone's published keys, checked against their account id, without pinning them. */
  protected async publishedContact(accountId: string): Promise<Contact> {
    const profile = await this.api.lookupAccount(accountId);
    return { accountId, handle: profile.handle, bundle: checkedBundle(profile.handle, accountId, fromBase64Url(profile.bundle, "bundle")) };
  }

  /**
   * Pins keys already checked (a patient whose grant just verified under them) without waiting for
   * the key ring to be stored: opening a share stays one round trip. `close()` waits for the save.
   */
  protected pinInBackground(contact: Contact): void {
    const pinned = this.book.see(contact.handle, contact.bundle);
    this.saveContact(pinned).catch(() => undefined); // stored by the next key-ring change or refresh otherwise
  }

  private async pin(handle: string, accountId: string, bundleBytes: Uint8Array): Promise<Contact> {
    const bundle = checkedBundle(handle, accountId, bundleBytes);
    const before = this.book.get(accountId);
    const contact = this.book.see(handle, bundle);
    if (!before) await this.saveContact(contact);
    return contact;
  }

  /** The 60 digits to compare with the other person, in person or over a call. */
  safetyNumber(contact: Contact): string {
    return this.book.safetyNumber(this.ring.account.signKey, contact);
  }

  /** Marks a contact verified once the safety numbers matched (or an invite proved the keys). */
  async verifyContact(accountId: string, via: "safety-number" | "invite" = "safety-number"): Promise<Contact> {
    const contact = this.book.verify(accountId, via);
    await this.saveContact(contact);
    return contact;
  }

  /** Pins or verifies one contact in the ring, keeping what other devices know about the others. */
  private async saveContact(contact: Contact): Promise<void> {
    await this.updateRing((ring) => {
      const known = ring.contacts.find((c) => c.accountId === contact.accountId);
      ring.contacts = [...ring.contacts.filter((c) => c.accountId !== contact.accountId), known ? newerContact(known, contact) : contact];
    }, "keep-offline");
  }

  /** Runs key-ring work one at a time, so two changes never adopt each other's stale copies. */
  private ringTask<T>(task: () => Promise<T>): Promise<T> {
    const run = this.ringQueue.then(task);
    this.ringQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Changes the key ring everywhere: merges the server's copy, applies `change` to a copy, stores it
   * as the next version, and only then adopts it here. A device that lost the race merges and tries
   * again, so concurrent changes on two devices both survive. With "keep-offline" (contacts), a
   * change made offline stays on this device and is stored by the next `refreshKeyRing`; key
   * rotations and revocations are never adopted unless the server stored them.
   */
  protected updateRing(change: (ring: KeyRing) => void, offline: "keep-offline" | "require-stored" = "require-stored"): Promise<void> {
    return this.ringTask(() => this.updateRingNow(change, offline));
  }

  private async updateRingNow(change: (ring: KeyRing) => void, offline: "keep-offline" | "require-stored"): Promise<void> {
    const seen = await this.seenRingVersion();
    let stored: Awaited<ReturnType<typeof storeNextRing>>;
    try {
      stored = await storeNextRing(this.api, this.ring, this.device, deviceReader(this.device), seen, change);
    } catch (error) {
      if (offline === "keep-offline" && (error instanceof ServerUnreachable || (error instanceof RequestRefused && error.transient))) {
        const next = decodeKeyRing(encodeKeyRing(this.ring));
        change(next);
        await this.adopt(next, seen, true);
        return;
      }
      throw error;
    }
    await this.adopt(stored.ring, stored.version, false);
  }

  protected async seenRingVersion(): Promise<number> {
    return ((await this.db.settings.get(SETTINGS.ringVersion)) as number | undefined) ?? 0;
  }

  /** The server's key ring, checked; a ring gone after this device saw one is a rollback. */
  private async storedRing(seen: number): Promise<{ ring: KeyRing; version: number } | undefined> {
    const stored = await this.api.keyRing();
    if (!stored) {
      if (seen > 0) throw new RollbackDetected(`the server no longer has this account's key ring, of which this device saw version ${seen}`);
      return undefined;
    }
    const open = { identityKey: this.ring.account.signKey, reader: deviceReader(this.device), announcedVersion: stored.version, seenVersion: seen, knownDevices: chainPoint(this.deviceList()) };
    return { ring: openKeyRing(stored.blob, open), version: stored.version };
  }

  /** Brings in what other devices stored (new roots, contacts, invites) and stores local-only changes. */
  refreshKeyRing(): Promise<void> {
    return this.ringTask(async () => {
      if ((await this.db.settings.get(SETTINGS.ringDirty)) === true) return this.updateRingNow(() => undefined, "require-stored");
      const seen = await this.seenRingVersion();
      const stored = await this.storedRing(seen);
      if (!stored || stored.version === seen) return;
      await this.adopt(mergeKeyRings(stored.ring, this.ring), stored.version, false);
    });
  }

  /** Copies `next` into the live ring in place, so key sources holding it see new roots at once. */
  private async adopt(next: KeyRing, version: number, dirty: boolean): Promise<void> {
    if (next.data && this.ring.data) {
      for (const [scope, keys] of Object.entries(next.data.scopes) as [keyof typeof next.data.scopes, (typeof next.data.scopes)[keyof typeof next.data.scopes]][]) {
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
    this.book = new ContactBook(next.contacts);
    await saveKeyRing(this.db, encodeKeyRing(this.ring));
    await this.db.settings.bulkPut([version, dirty], [SETTINGS.ringVersion, SETTINGS.ringDirty]);
  }

  /**
   * The existing device's side of linking: checks the new device's commitment against the code,
   * answers with its own key, receives the revealed keys and returns the six digits to compare.
   * `confirm()` (only after the person saw the same digits on both screens) certifies the new
   * device, adds it to the device list, stores the key ring sealed to it too, and sends the ring.
   */
  async approveLink(code: string): Promise<{ sas: string; name: string; confirm(): Promise<void> }> {
    const channel = parseLinkCode(code);
    const slot = await this.api.readSlot("link", channel.slotId);
    const first = slot.messages[0];
    if (!first) throw new MalformedInput("the new device has not published its key yet; try again");
    const commitment = openCommitMessage(channel, fromBase64Url(first.body, "link message"));
    const taken = new InvalidSignature("another device already answered this link code: confirm nothing, and start linking again on the new device");
    if (slot.messages.length > 1) throw taken;
    const mine = ephemeralKeys();
    try {
      await this.api.postToSlot("link", channel.slotId, 1, keyMessage(channel, "existing", mine.publicKey));
    } catch (error) {
      throw error instanceof RequestRefused && error.status === 409 ? taken : error;
    }
    const payload = openKeyMessage(channel, "new", (await linkMessages(this.api, channel.slotId, 3))[2]!);
    checkCommitment(commitment, payload);
    const revealed = readNewDevicePayload(payload);
    return {
      sas: shortAuthenticationString(payload, mine.publicKey),
      name: revealed.device.name,
      confirm: async () => {
        await this.addDevice(revealed.device);
        await this.api.postToSlot("link", channel.slotId, 3, sealForNewDevice(encodeKeyRing(this.ring), revealed.ephemeralKey, mine));
      },
    };
  }

  private async addDevice(device: DevicePublicKeys): Promise<void> {
    await this.updateRing((ring) => {
      ring.devices = appendDeviceChange(ring.devices, ring.account, { kind: "device", device: this.device }, { op: "add", certificate: certify(ring.account, device) });
    });
    await this.devicesChanged();
  }

  /** The account's device list as this device holds it, verified. */
  protected deviceList() {
    return verifiedDeviceList(this.ring.devices, this.ring.account.signKey);
  }

  /** Every device the account has had, newest first; removed ones say when. */
  async devices(): Promise<DeviceInfo[]> {
    const seen = await this.lastSeen();
    return this.deviceList()
      .devices.map((d) => {
        const deviceId = toHex(d.certificate.deviceId);
        const lastSeenAt = seen[deviceId];
        return {
          deviceId,
          name: d.certificate.name,
          addedAt: d.addedAt,
          ...(d.removed ? { removedAt: d.removed.at } : {}),
          ...(lastSeenAt !== undefined ? { lastSeenAt } : {}),
          thisDevice: bytesEqual(d.certificate.deviceId, this.device.deviceId),
        };
      })
      .reverse();
  }

  /** When each device (hex id) last signed something this device has seen, where known. */
  protected async lastSeen(): Promise<Record<string, number>> {
    return {};
  }

  /**
   * Removes a device (a lost or stolen phone) from the account, in one step: the device list drops
   * it, the key ring is stored again sealed only to the devices that remain (the removed one cannot
   * open it), and what it signs from now on is refused by every client. `rotate` is the role's part
   * of the same ring change (a patient's fresh keys for every category).
   */
  async removeDevice(deviceId: string): Promise<void> {
    const target = this.deviceList().devices.find((d) => toHex(d.certificate.deviceId) === deviceId);
    if (!target || target.removed) throw new MalformedInput(`there is no device ${deviceId} on this account`);
    if (bytesEqual(target.certificate.deviceId, this.device.deviceId)) throw new MalformedInput("remove this device from another of your devices (or recover your account elsewhere)");
    const { lastSeq, lastServerSeq } = await this.lastSeqOf(target.certificate.signKey, target.certificate.deviceId);
    await this.updateRing((ring) => {
      ring.devices = appendDeviceChange(ring.devices, ring.account, { kind: "device", device: this.device }, { op: "remove", deviceId: target.certificate.deviceId, lastSeq, lastServerSeq });
      this.onDeviceRemoved(ring);
    });
    await this.devicesChanged();
  }

  /**
   * What a device wrote that still counts once it is removed: its chain up to `lastSeq` (0: it wrote
   * nothing), the blocks it sealed up to server number `lastServerSeq`.
   */
  protected async lastSeqOf(_signKey: Uint8Array, _deviceId: Uint8Array): Promise<{ lastSeq: number; lastServerSeq: number }> {
    return { lastSeq: 0, lastServerSeq: 0 };
  }

  /** The role's part of a removal, inside the same key-ring change. */
  protected onDeviceRemoved(_ring: KeyRing): void {}

  /**
   * Runs after the device list changed: the account object gets it (it lets only the listed
   * devices log in), and a patient's log (for the server's and the grantees' author checks).
   */
  protected async devicesChanged(): Promise<void> {
    await this.api.publishAccountDevices(this.ring.devices);
  }

  /** Stops syncing and closes the database; the object is unusable afterwards. */
  async close(): Promise<void> {
    await this.stopSyncing();
    await this.ringQueue;
    this.db.close();
  }

  protected abstract stopSyncing(): Promise<void>;
}
