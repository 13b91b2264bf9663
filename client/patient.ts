// The patient's device: their own encrypted log (records, sync) and the devices that write it;
// sharing is delegated: grants and revocation (client/issuedGrants.ts), invites (client/invites.ts),
// the access log (client/accessLog.ts).

import { toHex } from "../shared/bytes.js";
import { SCOPES } from "../shared/records.js";
import type { Placement } from "../shared/placement.js";
import { accessEvents, type AccessEvent } from "./accessLog.js";
import { AccountDevice } from "./accountDevice.js";
import { createDevice, openDevice, recoverDevice, type DeviceState, type OpenOptions } from "./accountSetup.js";
import { requestDeviceLink, type LinkRequest } from "./deviceLink.js";
import type { GrantInfo } from "./grantInfo.js";
import type { KeepEntry } from "./grantOptions.js";
import { Invites, type InviteOptions, type OpenInvite } from "./invites.js";
import { IssuedGrants, type ShareOptions } from "./issuedGrants.js";
import { rotateScopes, type KeyRing } from "./keyRing.js";
import { ownKeySource } from "./keySource.js";
import { RecordStore } from "./store/recordStore.js";
import { LocalLog } from "./store/localLog.js";
import { HttpTransport } from "./sync/httpTransport.js";
import { deviceKey } from "./sync/chain.js";
import { SyncEngine } from "./sync/syncEngine.js";
import { Witness } from "./witness.js";

export class Patient extends AccountDevice {
  readonly records: RecordStore;
  readonly sync: SyncEngine;
  private readonly witness: Witness;
  private readonly issued: IssuedGrants;
  private readonly invites: Invites;

  private constructor(state: DeviceState) {
    super(state);
    // This device signs with its own key, certified in the device list: removing it cuts it off.
    const author = {
      signKey: this.device.signKey,
      signSecretKey: this.device.signSecretKey,
      deviceId: this.device.deviceId,
    };
    const keys = ownKeySource(this.ring, () => this.issued.writersNow());
    const log = new LocalLog(this.db, keys, author);
    this.records = new RecordStore(log);
    // Keys rotated on another device, or a write grant issued there: fetch both, then retry.
    const refresh = async () => {
      await this.refreshKeyRing();
      await this.issued.list();
    };
    // Every push carries this device's signed head, and a heartbeat goes out while it follows the
    // log; every writer's head a pull brings is checked (withheld data, forks, an old key ring).
    this.witness = new Witness({
      log,
      keys,
      author,
      key: "heads",
      ringVersion: () => this.seenRingVersion(),
      heartbeat: true,
      writes: true,
      refreshRing: () => this.refreshKeyRing(),
    });
    const transport = new HttpTransport(
      this.api,
      state.options.WebSocket ? { WebSocket: state.options.WebSocket } : {},
    );
    this.sync = new SyncEngine(log, transport, undefined, refresh, undefined, this.witness);
    this.issued = new IssuedGrants({
      api: this.api,
      patientId: this.accountId,
      ring: this.ring,
      settings: this.settings,
      sync: this.sync,
      log,
      refreshKeyRing: () => this.refreshKeyRing(),
      updateRing: (change) => this.updateRing(change),
      deviceList: () => this.deviceList(),
      recipient: (accountId) => this.book.recipient(accountId),
      contactById: (accountId) => this.contactById(accountId),
      handleOf: (accountId) => this.book.get(accountId)?.handle,
      closeInvites: () => this.invites.closeAll(),
    });
    this.invites = new Invites({
      api: this.api,
      ring: this.ring,
      patientId: this.accountId,
      handle: this.handle,
      appUrl: this.options.appUrl ?? this.options.server,
      updateRing: (change) => this.updateRing(change),
      refreshKeyRing: () => this.refreshKeyRing(),
      contactById: (accountId) => this.contactById(accountId),
      verifyContact: (accountId, via) => this.verifyContact(accountId, via),
      issue: (recipient, terms, grantId) => this.issued.issue(recipient, terms, grantId),
    });
  }

  /** Builds the patient from stored state, with the write grantees known when it last looked. */
  private static async from(state: DeviceState): Promise<Patient> {
    const patient = new Patient(state);
    await patient.issued.load();
    return patient;
  }

  /**
   * Creates the account (needs the server once). Show `recoveryCode` to the person to keep safe.
   * `placement: "eu"` keeps the account's data in the EU jurisdiction, for good (see `placement`).
   */
  static async create(
    options: OpenOptions & { handle: string; placement?: Placement },
  ): Promise<{ patient: Patient; recoveryCode: string }> {
    const { state, recoveryCode } = await createDevice(options, options.handle, "patient", options.placement);
    const patient = await Patient.from(state);
    await patient.devicesChanged();
    return { patient, recoveryCode };
  }

  /** The account stored on this device, or undefined. Works offline. */
  static async open(options: OpenOptions): Promise<Patient | undefined> {
    const state = await openDevice(options, "patient");
    return state && Patient.from(state);
  }

  /** Restores the account on a new device from the recovery kit; then `sync.sync()` brings the data. */
  static async recover(options: OpenOptions & { handle: string; recoveryCode: string }): Promise<Patient> {
    const patient = await Patient.from(await recoverDevice(options, options.handle, options.recoveryCode, "patient"));
    await patient.devicesChanged();
    return patient;
  }

  /** Starts linking this (new) device to an account signed in elsewhere. */
  static requestLink(options: OpenOptions): Promise<LinkRequest<Patient>> {
    return requestDeviceLink(options, "patient", (state) => Patient.from(state));
  }

  protected async stopSyncing(): Promise<void> {
    await this.sync.stop();
  }

  /**
   * Shares scopes and a time range with a verified contact (UnverifiedRecipient otherwise). The
   * grantee decrypts exactly that; a live grant also reaches new data until it expires.
   */
  share(options: ShareOptions): Promise<GrantInfo> {
    return this.issued.share(options);
  }

  /** Every grant this patient issued, newest first, as the patient signed them. */
  async grants(): Promise<GrantInfo[]> {
    return (await this.issued.list()).map((g) => g.info);
  }

  /**
   * Revokes one grant: the server stops serving it at once, the shared categories get fresh keys
   * for everything written from now on, and the other grantees of those categories receive the
   * new keys. What the revoked person already decrypted cannot be taken back.
   */
  revoke(grantId: string): Promise<void> {
    return this.issued.revoke(grantId);
  }

  /**
   * After a suspected breach: revokes every grant, gives every category fresh keys, and issues new
   * grants to the ones in `keep` only: grants, contacts, account ids or handles (MalformedInput,
   * before anything is revoked, for an entry that names no active grant). Returns how many grants
   * ended and how many were re-issued.
   */
  revokeEverything(options: { keep?: readonly KeepEntry[] } = {}): Promise<{ revoked: number; reissued: number }> {
    return this.issued.revokeEverything(options);
  }

  /**
   * Removes a lost or stolen device: besides dropping it from the device list and the key ring
   * (AccountDevice.removeDevice), every category gets fresh keys in the same change, the remaining
   * grantees receive the new keys, and open invites (whose secrets the device held) are withdrawn.
   */
  override async removeDevice(deviceId: string): Promise<void> {
    await this.refreshKeyRing();
    await this.invites.closeAll();
    const active = (await this.issued.list()).filter((g) => g.info.status === "active");
    await super.removeDevice(deviceId);
    await this.issued.rekey(active);
  }

  /** Syncs first, so the cut-off is the last envelope of the device that the server holds. */
  protected override async lastSeqOf(
    signKey: Uint8Array,
    deviceId: Uint8Array,
  ): Promise<{ lastSeq: number; lastServerSeq: number }> {
    await this.sync.sync();
    const log = this.records.log;
    return {
      lastSeq: (await log.chainHeads())[deviceKey({ authorKey: signKey, deviceId })]?.seq ?? 0,
      lastServerSeq: await log.cursor(),
    };
  }

  /** From the signed heads: each device's newest one this device has seen (its own: now, as it runs). */
  protected override async lastSeen(): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (const head of Object.values(await this.witness.tracker.heads())) {
      if (head.patientDevice) seen[head.deviceId] = Math.max(seen[head.deviceId] ?? 0, head.time);
    }
    seen[toHex(this.device.deviceId)] = Date.now();
    return seen;
  }

  /** Since when the data this device shows may be incomplete (another of the patient's devices went quiet past the heartbeat bound), if so. */
  get incompleteSince(): number | undefined {
    return this.sync.status.incompleteSince;
  }

  protected override onDeviceRemoved(ring: KeyRing): void {
    rotateScopes(ring.data!, SCOPES);
  }

  /** The patient log keeps a copy of the device list too: the server and grantees check authors against it. */
  protected override async devicesChanged(): Promise<void> {
    await super.devicesChanged();
    await this.api.publishDevices(this.accountId, this.ring.devices);
  }

  /**
   * An invite link for someone without a verified contact yet (a caregiver, say). The secret sits in
   * the URL's fragment, which browsers never send to a server; the grant is issued when the invited
   * person answers and this patient's device runs `completeInvites()`.
   */
  createInvite(options: InviteOptions): Promise<{ url: string; inviteId: string; expiresAt: number }> {
    return this.invites.create(options);
  }

  /** Open invites (not yet answered), for the sharing screen. */
  openInvites(): OpenInvite[] {
    return this.invites.open();
  }

  /**
   * Issues the grants of invites that were answered, and withdraws expired ones and ones answered
   * by someone who could not prove they hold the link (then InvalidSignature says so).
   */
  completeInvites(): Promise<GrantInfo[]> {
    return this.invites.complete();
  }

  /** Withdraws an invite: its link stops working. */
  closeInvite(inviteId: string): Promise<void> {
    return this.invites.close(inviteId);
  }

  /**
   * Who opened what, when: the server's access log (its hash chain checked, and checked to continue
   * what this device saw last time) and the grantees' signed read receipts, in time order. A
   * server that drops or edits entries raises a security error; receipts it hid show as holes.
   */
  accessLog(): Promise<AccessEvent[]> {
    return accessEvents({
      api: this.api,
      patientId: this.accountId,
      settings: this.settings,
      heads: this.witness.tracker,
      handleOf: (accountId) => (accountId === this.accountId ? this.handle : this.book.get(accountId)?.handle),
      granteeKeys: async () =>
        new Map((await this.issued.list()).map((g) => [g.info.grantId, g.policy.granteeSignKey])),
    });
  }
}
