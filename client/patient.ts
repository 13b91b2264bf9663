// The patient's device: their own encrypted log (records, sync), and everything about sharing it:
// grants to verified contacts, revocation with key rotation; invites (client/invites.ts) and the
// access log (client/accessLog.ts) are delegated.
import { verify } from "../crypto/accountKeys.js";
import { bytesEqual, fromBase64Url, fromHex, toHex } from "../shared/bytes.js";
import { MalformedInput, RollbackDetected, UnverifiedRecipient } from "../shared/errors.js";
import { issueGrant, type GrantScopeInput, type Recipient } from "../crypto/grant.js";
import { decodeGrantWire, MAX_GENERATIONS_PER_ENTRY, type GrantPolicy } from "../shared/grantCodec.js";
import { decodeRevocation } from "../shared/revocation.js";
import { MS_PER_HOUR, SCOPES, type Scope } from "../shared/records.js";
import type { Placement } from "../shared/placement.js";
import { accessEvents, type AccessEvent } from "./accessLog.js";
import { AccountDevice } from "./accountDevice.js";
import { createDevice, openDevice, recoverDevice, type DeviceState, type OpenOptions } from "./accountSetup.js";
import { requestDeviceLink, type LinkRequest } from "./deviceLink.js";
import { grantInfo, type GrantInfo, type GrantStatus } from "./grantInfo.js";
import { checkGrantTerms, grantsToKeep, type GrantTerms, type KeepEntry } from "./grantOptions.js";
import { chainPoint } from "./devices.js";
import { Invites, type InviteOptions, type OpenInvite } from "./invites.js";
import { rotateScopes, scopeTags, type KeyRing } from "./keyRing.js";
import { revokedGrantId, signRevocation } from "./revocations.js";
import { ownKeySource, type DelegatedWriter } from "./keySource.js";
import type { StoredWriter } from "./settings.js";
import { RecordStore } from "./store/recordStore.js";
import { LocalLog } from "./store/localLog.js";
import { HttpTransport } from "./sync/httpTransport.js";
import { chainsOf, deviceKey } from "./sync/chain.js";
import { SyncEngine } from "./sync/syncEngine.js";
import { Witness } from "./witness.js";

export interface ShareOptions extends GrantTerms {
  /** Account id of a verified contact. */
  readonly with: string;
}

interface ListedGrant {
  readonly info: GrantInfo;
  readonly policy: GrantPolicy;
}

export class Patient extends AccountDevice {
  readonly records: RecordStore;
  readonly sync: SyncEngine;
  private writers: DelegatedWriter[] = [];
  private readonly witness: Witness;
  private cutoffs?: {
    from: readonly Uint8Array[];
    count: number;
    byGrant: Map<string, NonNullable<DelegatedWriter["cutoffs"]>>;
  };
  private readonly invites: Invites;

  private constructor(state: DeviceState) {
    super(state);
    // This device signs with its own key, certified in the device list: removing it cuts it off.
    const author = {
      signKey: this.device.signKey,
      signSecretKey: this.device.signSecretKey,
      deviceId: this.device.deviceId,
    };
    const keys = ownKeySource(this.ring, () => this.writersNow());
    const log = new LocalLog(this.db, keys, author);
    this.records = new RecordStore(log);
    // Keys rotated on another device, or a write grant issued there: fetch both, then retry.
    const refresh = async () => {
      await this.refreshKeyRing();
      await this.listGrants();
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
      issue: (recipient, terms, grantId) => this.issue(recipient, terms, grantId),
    });
  }

  /**
   * The write grantees, each revoked one cut at its signed revocation's cut-off of each of its
   * chains (read from the key ring as it is now, so a revocation made on another device counts as
   * soon as the ring arrives): what it signs later, even under its old keys, is refused.
   */
  private writersNow(): DelegatedWriter[] {
    if (this.cutoffs?.from !== this.ring.revocations || this.cutoffs.count !== this.ring.revocations.length) {
      const byGrant = new Map(
        this.ring.revocations
          .map(decodeRevocation)
          .map((r) => [toHex(r.grantId), r.cutoffs.map((c) => ({ deviceId: toHex(c.deviceId), lastSeq: c.lastSeq }))]),
      );
      this.cutoffs = { from: this.ring.revocations, count: this.ring.revocations.length, byGrant };
    }
    const { byGrant } = this.cutoffs;
    return this.writers.map((w) =>
      w.grantId && byGrant.has(w.grantId) ? { ...w, cutoffs: byGrant.get(w.grantId)! } : w,
    );
  }

  /** Builds the patient from stored state, with the write grantees known when it last looked. */
  private static async from(state: DeviceState): Promise<Patient> {
    const patient = new Patient(state);
    const writers = await patient.settings.get("writeGrantees");
    patient.writers = (writers ?? []).map((w) => ({ ...w, signKey: fromHex(w.signKey, 32) }));
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

  private get data() {
    return this.ring.data!;
  }

  private tags(): Map<Scope, Uint8Array> {
    return scopeTags(this.data);
  }

  private scopeOf(tag: Uint8Array): Scope | undefined {
    return [...this.tags()].find(([, t]) => bytesEqual(t, tag))?.[0];
  }

  private coverInputs(scopes: readonly Scope[]): GrantScopeInput[] {
    const tags = this.tags();
    return scopes.map((scope) => {
      const generations = [...this.data.scopes[scope].roots]
        .sort(([a], [b]) => a - b)
        .slice(-MAX_GENERATIONS_PER_ENTRY);
      return {
        scope,
        scopeTag: tags.get(scope)!,
        generations: generations.map(([generation, root]) => ({ generation, root })),
      };
    });
  }

  /**
   * Shares scopes and a time range with a verified contact (UnverifiedRecipient otherwise). The
   * grantee decrypts exactly that; a live grant also reaches new data until it expires.
   */
  async share(options: ShareOptions): Promise<GrantInfo> {
    checkGrantTerms(options);
    const recipient = this.book.recipient(options.with);
    // Another device may have rotated: a grant must carry the current generation.
    await this.refreshKeyRing();
    const info = await this.issue(recipient, options);
    if (info.write) await this.listGrants();
    return info;
  }

  private async issue(
    recipient: Recipient,
    options: Omit<ShareOptions, "with">,
    grantId?: Uint8Array,
    revision?: number,
  ): Promise<GrantInfo> {
    checkGrantTerms(options);
    const fromHour = Math.floor(options.from / MS_PER_HOUR);
    const toHour = Math.max(
      Math.floor(options.to / MS_PER_HOUR),
      options.live ? Math.floor(options.expiresAt / MS_PER_HOUR) : 0,
    );
    const issued = issueGrant({
      patient: this.ring.account,
      recipient,
      // The grantee trusts only a device list that reaches this one: a removal cannot be hidden from it.
      devices: chainPoint(this.deviceList()),
      scopes: this.coverInputs(options.scopes),
      fromHour,
      toHour,
      expiresAt: options.expiresAt,
      live: options.live ?? false,
      write: options.write ?? false,
      ...(grantId ? { grantId } : {}),
      ...(revision ? { revision } : {}),
    });
    await this.api.postGrant(this.accountId, issued.wire);
    return grantInfo(
      issued.policy,
      (tag) => this.scopeOf(tag),
      "active",
      (id) => this.book.get(id)?.handle,
    );
  }

  /** Every grant this patient issued, newest first, as the patient signed them. */
  async grants(): Promise<GrantInfo[]> {
    return (await this.listGrants()).map((g) => g.info);
  }

  private async listGrants(): Promise<ListedGrant[]> {
    const summaries = await this.api.grants(this.accountId);
    const revoked = new Set(this.ring.revocations.map(revokedGrantId));
    const listed = summaries.map((summary): ListedGrant => {
      const { policy, policyBytes, policySignature } = decodeGrantWire(fromBase64Url(summary.grant, "grant"));
      // The list comes from the server: only grants this account signed are believed.
      verify("grantPolicy", policySignature, this.ring.account.signKey, "grant policy", policyBytes);
      const grantId = toHex(policy.grantId);
      if (grantId !== summary.grantId)
        throw new RollbackDetected(`the server listed grant ${grantId} under another id`);
      if (summary.status === "active" && revoked.has(grantId)) {
        throw new RollbackDetected(
          `the server lists grant ${grantId} as active although you revoked it: it rolled back its state; revoke everything and report it`,
        );
      }
      const status: GrantStatus =
        summary.status === "active" && policy.expiresAt <= Date.now() ? "expired" : summary.status;
      return {
        policy,
        info: grantInfo(
          policy,
          (tag) => this.scopeOf(tag),
          status,
          (id) => this.book.get(id)?.handle,
        ),
      };
    });
    // Every write grant, whatever the server says of its status: a writer is bounded by the key
    // generations its signed policy gave, so its old writes stay authentic after it ends and
    // nothing under the keys rotated since can pass as its.
    this.writers = listed
      .filter((g) => g.info.write)
      .map((g) => ({
        grantId: g.info.grantId,
        signKey: g.policy.granteeSignKey,
        scopes: g.info.scopes,
        fromHour: Math.floor(g.info.from / MS_PER_HOUR),
        toHour: Math.floor(g.info.to / MS_PER_HOUR),
        generations: Object.fromEntries(
          g.policy.entries.flatMap((e) =>
            this.scopeOf(e.scopeTag) ? [[this.scopeOf(e.scopeTag)!, e.generations]] : [],
          ),
        ),
      }));
    await this.settings.put(
      "writeGrantees",
      this.writers.map((w): StoredWriter => ({ ...w, signKey: toHex(w.signKey) })),
    );
    return listed.sort((a, b) => b.info.issuedAt - a.info.issuedAt);
  }

  /**
   * Revokes one grant: the server stops serving it at once, the shared categories get fresh keys
   * for everything written from now on, and the other grantees of those categories receive the
   * new keys. What the revoked person already decrypted cannot be taken back.
   */
  async revoke(grantId: string): Promise<void> {
    await this.refreshKeyRing();
    const listed = await this.listGrants();
    const target = listed.find((g) => g.info.grantId === grantId);
    if (!target) throw new MalformedInput(`there is no grant ${grantId}`);
    await this.endGrants([target], target.info.scopes, () => this.api.revokeGrant(this.accountId, grantId));
    const remaining = listed.filter(
      (g) =>
        g.info.status === "active" &&
        g.info.grantId !== grantId &&
        g.info.scopes.some((s) => target.info.scopes.includes(s)),
    );
    for (const grant of remaining) await this.reissue(grant, grant.policy.grantId, grant.policy.revision + 1);
  }

  /**
   * After a suspected breach: revokes every grant, gives every category fresh keys, and issues new
   * grants to the ones in `keep` only: grants, contacts, account ids or handles (MalformedInput,
   * before anything is revoked, for an entry that names no active grant). Returns how many grants
   * ended and how many were re-issued.
   */
  async revokeEverything(
    options: { keep?: readonly KeepEntry[] } = {},
  ): Promise<{ revoked: number; reissued: number }> {
    await this.refreshKeyRing();
    const listed = await this.listGrants();
    const active = listed.filter((g) => g.info.status === "active");
    const keep = new Set(
      grantsToKeep(
        active.map((g) => g.info),
        options.keep ?? [],
      ),
    );
    // A leaked link (or a stolen device holding the invite secrets) must not win a grant afterwards.
    await this.invites.closeAll();
    await this.endGrants(active, SCOPES, () => this.api.revokeAllGrants(this.accountId));
    const kept = active.filter((g) => keep.has(g.info));
    for (const grant of kept) await this.reissue(grant);
    return { revoked: active.length, reissued: kept.length };
  }

  /**
   * Ends `grants` on the server, then, in one key-ring change, gives `scopes` fresh keys and signs a
   * revocation of each grant: the patient's own word, which the other devices and the grantees keep
   * whatever the server says later. A write grantee's revocation cuts each of its device chains at
   * the last envelope the patient's log holds once the server stopped accepting its writes.
   */
  private async endGrants(
    grants: readonly ListedGrant[],
    scopes: readonly Scope[],
    endOnServer: () => Promise<void>,
  ): Promise<void> {
    await this.sync.push();
    await endOnServer();
    // A pull that fails only makes a cut-off earlier: nothing the grantee wrote after it counts.
    await this.sync.pull().catch(() => undefined);
    const heads = await this.records.log.chainHeads();
    let revocations: Uint8Array[] = [];
    await this.updateRing((ring) => {
      rotateScopes(ring.data!, scopes);
      const tags = scopeTags(ring.data!);
      const generations = scopes.map((scope) => ({
        scopeTag: tags.get(scope)!,
        generation: ring.data!.scopes[scope].current,
      }));
      revocations = grants.map((g) =>
        signRevocation(ring.account, {
          patientId: g.policy.patientId,
          grantId: g.policy.grantId,
          revision: g.policy.revision,
          granteeId: g.policy.granteeId,
          revokedAt: Date.now(),
          cutoffs: g.policy.write ? chainsOf(heads, g.policy.granteeSignKey) : [],
          generations,
        }),
      );
      ring.revocations.push(...revocations);
    });
    await this.declareCurrent(scopes);
    for (const revocation of revocations) await this.api.postRevocation(this.accountId, revocation);
  }

  /** Tells the patient log the current generation of each scope: it refuses envelopes of older ones. */
  private async declareCurrent(scopes: readonly Scope[]): Promise<void> {
    const tags = this.tags();
    for (const scope of scopes)
      await this.api.declareGeneration(this.accountId, toHex(tags.get(scope)!), this.data.scopes[scope].current);
  }

  /**
   * Removes a lost or stolen device: besides dropping it from the device list and the key ring
   * (AccountDevice.removeDevice), every category gets fresh keys in the same change, the remaining
   * grantees receive the new keys, and open invites (whose secrets the device held) are withdrawn.
   */
  override async removeDevice(deviceId: string): Promise<void> {
    await this.refreshKeyRing();
    await this.invites.closeAll();
    const active = (await this.listGrants()).filter((g) => g.info.status === "active");
    await super.removeDevice(deviceId);
    await this.declareCurrent(SCOPES);
    for (const grant of active) await this.reissue(grant, grant.policy.grantId, grant.policy.revision + 1);
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

  /** Issues `grant` again with every current key, as a new revision or (no id) as a new grant. */
  private async reissue(grant: ListedGrant, grantId?: Uint8Array, revision?: number): Promise<void> {
    const { policy, info } = grant;
    const contact = await this.contactById(info.grantee.accountId);
    // The patient already signed a grant to exactly these keys; anything else is a substitution.
    if (
      !bytesEqual(contact.bundle.signKey, policy.granteeSignKey) ||
      !bytesEqual(contact.bundle.boxKey, policy.granteeBoxKey)
    ) {
      throw new UnverifiedRecipient(
        `${contact.handle}'s keys changed since the grant was issued; verify them again and share anew`,
      );
    }
    const options = {
      scopes: info.scopes,
      from: info.from,
      to: info.to,
      expiresAt: info.expiresAt,
      live: info.live,
      write: info.write,
    };
    await this.issue({ bundle: contact.bundle, verified: true }, options, grantId, revision);
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
      granteeKeys: async () => new Map((await this.listGrants()).map((g) => [g.info.grantId, g.policy.granteeSignKey])),
    });
  }
}
