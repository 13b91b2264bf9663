// What every Steward device has, whatever the person's role: the account keys and key ring (a
// replica of the one synced sealed through the server), this device's own keys, certified in the
// account's device list, the pinned contacts and a session with the server. How a device comes to
// hold an account is client/accountSetup.ts; linking another device is client/deviceLink.ts.
import { verifyKeyBundle } from "../crypto/accountKeys.js";
import { bytesEqual, fromBase64Url, toHex } from "../shared/bytes.js";
import { KeyChanged, MalformedInput } from "../shared/errors.js";
import { accountIdHex, bundlePlacement, decodeKeyBundle } from "../shared/keyBundle.js";
import type { Placement } from "../shared/placement.js";
import type { ServerApi } from "./api/serverApi.js";
import type { DeviceState, OpenOptions } from "./accountSetup.js";
import { ContactBook, type Contact } from "./contacts.js";
import { approveLink, type LinkApproval } from "./deviceLink.js";
import { appendDeviceChange, certify, verifiedDeviceList, type DeviceKeys, type DevicePublicKeys } from "./devices.js";
import type { KeyRing } from "./keyRing.js";
import { KeyRingReplica, newerContact, type OfflineChange } from "./keyRingSync.js";
import { DeviceSettings } from "./settings.js";
import type { StewardDatabase } from "./store/database.js";

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

/** A bundle the directory served, checked to be self-signed and to belong to `accountId`. */
function checkedBundle(handle: string, accountId: string, bytes: Uint8Array) {
  const bundle = verifyKeyBundle(decodeKeyBundle(bytes));
  if (accountIdHex(bundle.signKey) !== accountId)
    throw new KeyChanged(`the server answered for "${handle}" with keys that do not belong to that account`);
  return bundle;
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
  protected readonly settings: DeviceSettings;
  private readonly replica: KeyRingReplica;
  readonly handle: string;

  protected constructor(state: DeviceState) {
    this.db = state.db;
    this.ring = state.ring;
    this.api = state.api;
    this.options = state.options;
    this.handle = state.handle;
    this.device = state.device;
    this.book = new ContactBook(state.ring.contacts);
    this.settings = new DeviceSettings(state.db);
    this.replica = new KeyRingReplica(state.ring, state.db, this.settings, state.api, state.device, (ring) => {
      this.book = new ContactBook(ring.contacts);
    });
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
    return {
      accountId,
      handle: profile.handle,
      bundle: checkedBundle(profile.handle, accountId, fromBase64Url(profile.bundle, "bundle")),
    };
  }

  /**
   * Pins keys already checked (a patient whose grant just verified under them) here at once, and
   * stores them with `change` as one key-ring version without waiting for it: opening a share does
   * not wait on the key ring. `close()` waits for the save.
   */
  protected saveInBackground(contacts: readonly Contact[], change: (ring: KeyRing) => void = () => undefined): void {
    const pinned = contacts.map((c) => this.book.see(c.handle, c.bundle));
    // Stored by the next key-ring change or refresh if this one fails.
    this.updateRing((ring) => {
      for (const contact of pinned) keepContact(ring, contact);
      change(ring);
    }, "keep-offline").catch(() => undefined);
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
    await this.updateRing((ring) => keepContact(ring, contact), "keep-offline");
  }

  /**
   * Changes the key ring everywhere (see KeyRingReplica.update): a device that lost the race merges
   * and tries again, so concurrent changes on two devices both survive.
   */
  protected updateRing(change: (ring: KeyRing) => void, offline: OfflineChange = "require-stored"): Promise<void> {
    return this.replica.update(change, offline);
  }

  protected seenRingVersion(): Promise<number> {
    return this.replica.seenVersion();
  }

  /** Brings in what other devices stored (new roots, contacts, invites) and stores local-only changes. */
  refreshKeyRing(): Promise<void> {
    return this.replica.refresh();
  }

  /**
   * The existing device's side of linking (client/deviceLink.ts): the six digits to compare, and
   * `confirm()`, only after the person saw the same digits on both screens, adds the new device.
   */
  approveLink(code: string): Promise<LinkApproval> {
    return approveLink(this.api, code, async (device) => {
      await this.addDevice(device);
      return this.ring;
    });
  }

  private async addDevice(device: DevicePublicKeys): Promise<void> {
    await this.updateRing((ring) => {
      ring.devices = appendDeviceChange(
        ring.devices,
        ring.account,
        { kind: "device", device: this.device },
        { op: "add", certificate: certify(ring.account, device) },
      );
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
    if (bytesEqual(target.certificate.deviceId, this.device.deviceId))
      throw new MalformedInput("remove this device from another of your devices (or recover your account elsewhere)");
    const { lastSeq, lastServerSeq } = await this.lastSeqOf(target.certificate.signKey, target.certificate.deviceId);
    await this.updateRing((ring) => {
      ring.devices = appendDeviceChange(
        ring.devices,
        ring.account,
        { kind: "device", device: this.device },
        { op: "remove", deviceId: target.certificate.deviceId, lastSeq, lastServerSeq },
      );
      this.onDeviceRemoved(ring);
    });
    await this.devicesChanged();
  }

  /**
   * What a device wrote that still counts once it is removed: its chain up to `lastSeq` (0: it wrote
   * nothing), the blocks it sealed up to server number `lastServerSeq`.
   */
  protected async lastSeqOf(
    _signKey: Uint8Array,
    _deviceId: Uint8Array,
  ): Promise<{ lastSeq: number; lastServerSeq: number }> {
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
    await this.replica.idle();
    this.db.close();
  }

  protected abstract stopSyncing(): Promise<void>;
}

/** Puts `contact` in the ring, keeping what other devices know about it. */
function keepContact(ring: KeyRing, contact: Contact): void {
  const known = ring.contacts.find((c) => c.accountId === contact.accountId);
  ring.contacts = [
    ...ring.contacts.filter((c) => c.accountId !== contact.accountId),
    known ? newerContact(known, contact) : contact,
  ];
}
