// A clinician's or caregiver's device: the patients who shared with them, each opened as a view of
// exactly what the grant covers, live when the grant is, ending when it expires or is revoked.
import { fromBase64Url, toHex } from "../shared/bytes.js";
import {
  ExpiredGrant,
  KeyChanged,
  MalformedInput,
  RequestRefused,
  RevokedGrant,
  RollbackDetected,
  ServerUnreachable,
  StewardError,
} from "../shared/errors.js";
import { checkExtends } from "../shared/deviceList.js";
import { decodeRevocation } from "../shared/revocation.js";
import { openGrant, type OpenedGrant } from "../crypto/grant.js";
import { decodeGrantWire, type GrantPolicy } from "../shared/grantCodec.js";
import type { Placement } from "../shared/placement.js";
import { AccountDevice } from "./accountDevice.js";
import { createDevice, openDevice, recoverDevice, type DeviceState, type OpenOptions } from "./accountSetup.js";
import { requestDeviceLink, type LinkRequest } from "./deviceLink.js";
import type { Inbox, InboxEntry } from "../shared/api.js";
import type { Contact } from "./contacts.js";
import { grantInfo, type GrantInfo } from "./grantInfo.js";
import { acceptInvite } from "./invites.js";
import { chainPoint, verifiedDeviceList } from "./devices.js";
import { revokedShare, shareKey, verifiedRevocation } from "./revocations.js";
import { purgeShare } from "./store/purge.js";
import { SharedView } from "./sharedView.js";

/** How long a listing from `shares()` is used by `open()` instead of asking the server again. */
const LISTING_FRESH_MS = 60_000;

/** A grant received, as the grantee sees it. `patientVerified` is false until keys were compared. */
export interface Share extends GrantInfo {
  readonly patientVerified: boolean;
}

export class Grantee extends AccountDevice {
  private readonly views = new Set<SharedView>();
  /** The inbox entries the last `shares()` listed, and when. */
  private listed: InboxEntry[] = [];
  private listedAt = 0;
  /** The revisions this device listed, kept here until the key ring stores them (`keepInBackground`). */
  private readonly listedRevisions = new Map<string, number>();
  /** Inbox entries the last `shares()` left out because they did not verify, with the reason. */
  rejected: { grantId: string; reason: string }[] = [];
  /**
   * When the server could not be reached, `shares()` lists what it listed last, fetched at this
   * time; undefined while the listing is fresh from the server. A share revoked since then shows
   * until the device is back online.
   */
  sharesAsOf: number | undefined;

  private constructor(state: DeviceState) {
    super(state);
  }

  static async create(
    options: OpenOptions & { handle: string; placement?: Placement },
  ): Promise<{ grantee: Grantee; recoveryCode: string }> {
    const { state, recoveryCode } = await createDevice(options, options.handle, "grantee", options.placement);
    return { grantee: new Grantee(state), recoveryCode };
  }

  static async open(options: OpenOptions): Promise<Grantee | undefined> {
    const state = await openDevice(options, "grantee");
    return state && new Grantee(state);
  }

  static async recover(options: OpenOptions & { handle: string; recoveryCode: string }): Promise<Grantee> {
    return new Grantee(await recoverDevice(options, options.handle, options.recoveryCode, "grantee"));
  }

  static requestLink(options: OpenOptions): Promise<LinkRequest<Grantee>> {
    return requestDeviceLink(options, "grantee", (state) => new Grantee(state));
  }

  /**
   * Answers an invite link: pins the patient named in it as verified (the link came from them) and
   * sends this account's keys, authenticated by the link's secret. The share appears in `shares()`
   * once the patient's device has issued the grant.
   */
  acceptInvite(url: string): Promise<{ patient: { accountId: string; handle: string } }> {
    return acceptInvite(
      {
        api: this.api,
        bundle: this.ring.account.bundle,
        contactById: (accountId) => this.contactById(accountId),
        verifyContact: (accountId, via) => this.verifyContact(accountId, via),
      },
      url,
    );
  }

  /**
   * The grants addressed to this account that are still running, newest first. Anyone can drop a
   * "grant" into an inbox: one that does not open and verify is left out and listed in `rejected`.
   */
  async shares(): Promise<Share[]> {
    const inbox = await this.inbox();
    await this.learnRevocations(inbox);
    const shares: Share[] = [];
    const patients: Contact[] = [];
    this.rejected = [];
    this.listed = [];
    this.listedAt = Date.now();
    for (const entry of inbox.grants) {
      try {
        const opened = await this.openEntry(entry, patients);
        shares.push(opened.share);
        this.listed.push(entry);
      } catch (error) {
        // A grant that expired between listing and opening is simply not shown.
        if (error instanceof ExpiredGrant) continue;
        if (
          !(error instanceof StewardError) ||
          error instanceof ServerUnreachable ||
          (error instanceof RequestRefused && error.transient)
        )
          throw error;
        this.rejected.push({ grantId: entry.grantId, reason: error.message });
      }
    }
    this.keepInBackground(patients, shares);
    return shares.sort((a, b) => b.issuedAt - a.issuedAt);
  }

  /**
   * Keeps the revocations the inbox holds that verify under a pinned patient's key: from then on,
   * this account's devices never show that grant as active, whatever the server serves later.
   */
  private async learnRevocations(inbox: Inbox): Promise<void> {
    const known = new Set(this.ring.revocations.map(revokedShare));
    const fresh: Uint8Array[] = [];
    for (const entry of inbox.revocations) {
      const patient = this.book.get(entry.patientId);
      if (!patient || known.has(shareKey(entry.patientId, entry.grantId))) continue;
      try {
        const bytes = fromBase64Url(entry.revocation, "revocation");
        const revocation = verifiedRevocation(bytes, patient.bundle.signKey);
        if (
          toHex(revocation.grantId) !== entry.grantId ||
          toHex(revocation.patientId) !== entry.patientId ||
          toHex(revocation.granteeId) !== this.accountId
        )
          continue;
        fresh.push(bytes);
        known.add(shareKey(entry.patientId, entry.grantId));
      } catch (error) {
        if (!(error instanceof StewardError)) throw error;
      }
    }
    if (fresh.length > 0)
      await this.updateRing(
        (ring) =>
          ring.revocations.push(
            ...fresh.filter((r) => !ring.revocations.some((k) => revokedShare(k) === revokedShare(r))),
          ),
        "keep-offline",
      );
  }

  /**
   * Pins the patients whose grants just verified and remembers the highest revision seen of each
   * share (so an older one served later is refused), in one key-ring version stored in the
   * background: listing and opening do not wait on the key ring. Until it is stored this device
   * already refuses older revisions, from `listedRevisions`.
   */
  private keepInBackground(patients: readonly Contact[], shares: readonly Share[]): void {
    const key = (s: Share) => shareKey(s.patient.accountId, s.grantId);
    for (const s of shares)
      this.listedRevisions.set(key(s), Math.max(s.revision, this.listedRevisions.get(key(s)) ?? 0));
    const newer = shares.filter((s) => s.revision > (this.ring.grantRevisions[key(s)] ?? 0));
    if (patients.length === 0 && newer.length === 0) return;
    this.saveInBackground(patients, (ring) => {
      for (const s of newer) ring.grantRevisions[key(s)] = Math.max(s.revision, ring.grantRevisions[key(s)] ?? 0);
    });
  }

  /** `unpinned`: where to leave a patient seen for the first time, pinned with the listing's key-ring save. */
  private async openEntry(entry: InboxEntry, unpinned?: Contact[]): Promise<{ share: Share; grant: OpenedGrant }> {
    // The patient is pinned only once their grant verifies, so strangers never enter the key ring.
    const patient = this.book.get(entry.patientId) ?? (await this.publishedContact(entry.patientId));
    const grant = openGrant(fromBase64Url(entry.grant, "grant"), this.ring.account, patient.bundle.signKey);
    const revoked = this.ring.revocations
      .map((r) => decodeRevocation(r))
      .find((r) => toHex(r.grantId) === entry.grantId && toHex(r.patientId) === entry.patientId);
    if (revoked && revoked.revision >= grant.policy.revision) {
      throw new RevokedGrant(
        `the patient revoked this share on ${new Date(revoked.revokedAt).toISOString()}; the server offered it again`,
      );
    }
    const key = shareKey(entry.patientId, entry.grantId);
    const seen = Math.max(this.ring.grantRevisions[key] ?? 0, this.listedRevisions.get(key) ?? 0);
    if (grant.policy.revision < seen)
      throw new RollbackDetected(
        `the server offered revision ${grant.policy.revision} of this share, older than revision ${seen} this account already saw`,
      );
    if (!this.book.get(patient.accountId)) {
      if (unpinned) unpinned.push(this.book.see(patient.handle, patient.bundle));
      else this.saveInBackground([patient]);
    }
    const info = grantInfo(
      grant.policy,
      (tag) => grant.scopeOfTag(tag)?.scope,
      "active",
      (id) => this.book.get(id)?.handle ?? (id === this.accountId ? this.handle : undefined),
    );
    return { grant, share: { ...info, patientVerified: patient.verifiedAt !== undefined } };
  }

  /** The inbox from the server, or offline the last one it served (see `sharesAsOf`). */
  private async inbox(): Promise<Inbox> {
    try {
      const inbox = await this.api.inbox();
      const previous = await this.settings.get("inboxListing");
      await this.purgeGone(previous?.inbox.grants ?? [], inbox.grants);
      await this.settings.put("inboxListing", { at: Date.now(), inbox });
      this.sharesAsOf = undefined;
      return inbox;
    } catch (error) {
      const cached = await this.settings.get("inboxListing");
      if (!(error instanceof ServerUnreachable) || !cached?.inbox) throw error;
      this.sharesAsOf = cached.at;
      return { ...cached.inbox, ended: cached.inbox.ended ?? [] };
    }
  }

  /**
   * The running share `grantId` (of `patientId`, when two patients used one id), or the typed error
   * saying why there is none: ExpiredGrant, RevokedGrant, or MalformedInput for an id never shared.
   */
  private async latestEntry(grantId: string, patientId?: string): Promise<InboxEntry> {
    const { grants, ended } = await this.inbox();
    const entry = only(grants, grantId, patientId);
    if (entry) return entry;
    const end = ended.find((e) => e.grantId === grantId && (patientId === undefined || e.patientId === patientId));
    if (end?.status === "expired") throw new ExpiredGrant("this share has expired; ask the patient to share again");
    if (end) throw new RevokedGrant("the patient revoked this share; ask them to share again if you still need it");
    throw new MalformedInput(`no share ${grantId} is addressed to this account`);
  }

  /**
   * Opens a share: a record store that decrypts exactly what the grant covers (anything else raises
   * OutsideGrant) and a sync engine to pull it, or follow it live for a live grant. A share that
   * ended raises ExpiredGrant or RevokedGrant; `patientId` is needed only if two patients shared
   * under one grant id.
   */
  async open(grantId: string, patientId?: string): Promise<SharedView> {
    // What `shares()` listed a moment ago needs no second request (the pull refuses a grant ended since).
    const recent = Date.now() - this.listedAt < LISTING_FRESH_MS ? only(this.listed, grantId, patientId) : undefined;
    const opened = await this.openEntry(recent ?? (await this.latestEntry(grantId, patientId)));
    // A removed device re-issues every grant: a newer revision than the list was fetched for fetches it again.
    const fetchedFor = `patientDevicesRevision/${opened.share.patient.accountId}/${grantId}` as const;
    const stale = ((await this.settings.get(fetchedFor)) ?? 0) < opened.share.revision;
    const devices = await this.patientDevices(opened.share.patient.accountId, stale);
    if (stale && devices) await this.settings.put(fetchedFor, opened.share.revision);
    const view = new SharedView({
      owner: this,
      share: opened.share,
      grant: opened.grant,
      db: this.db,
      account: this.ring.account,
      deviceId: this.deviceId,
      api: this.api,
      ...(this.options.WebSocket ? { WebSocket: this.options.WebSocket } : {}),
      devices,
      onClose: () => this.views.delete(view),
    });
    this.views.add(view);
    // Opening stays one round trip: the receipt goes out beside it, or waits for the next time.
    void view.receipts.opened().catch(() => undefined);
    return view;
  }

  /**
   * Drops an ended share from this device's listings (so it is not offered offline either) and
   * returns the coverage of the patient's other running shares, whose data the device keeps.
   */
  async endShare(patientId: string, grantId: string): Promise<GrantPolicy[]> {
    const ended = (e: InboxEntry) => e.patientId === patientId && e.grantId === grantId;
    this.listed = this.listed.filter((e) => !ended(e));
    const cached = await this.settings.get("inboxListing");
    const grants = cached?.inbox.grants ?? [];
    if (cached)
      await this.settings.put("inboxListing", {
        ...cached,
        inbox: { ...cached.inbox, grants: grants.filter((e) => !ended(e)) },
      });
    return coverage(grants.filter((e) => e.patientId === patientId && !ended(e)));
  }

  /**
   * A share that ended while no view had it open leaves the device on the next listing: what it
   * covered is deleted as an open view's would be (see `SharedView.forget`).
   */
  private async purgeGone(before: readonly InboxEntry[], now: readonly InboxEntry[]): Promise<void> {
    const key = (e: InboxEntry) => shareKey(e.patientId, e.grantId);
    const live = new Set(now.map(key));
    for (const gone of before.filter((e) => !live.has(key(e)))) {
      const [ended] = coverage([gone]);
      if (ended)
        await purgeShare(
          this.db,
          gone.patientId,
          `${gone.patientId}/${gone.grantId}`,
          ended,
          coverage(now.filter((e) => e.patientId === gone.patientId)),
        );
    }
  }

  /**
   * The patient's signed device list: fetched from the patient log (or, without `fresh`, as last
   * kept), verified under the pinned patient key, and refused if it does not continue the one kept
   * (a server rolling back the list to hide a removal, or showing another history).
   */
  async patientDevices(patientId: string, fresh: boolean): Promise<Uint8Array | undefined> {
    const key = `patientDevices/${patientId}` as const;
    const kept = await this.settings.get(key);
    if (kept && !fresh) return kept;
    const patient = this.book.get(patientId) ?? (await this.publishedContact(patientId));
    let served: Uint8Array | undefined;
    try {
      served = await this.api.patientDevices(patientId);
    } catch (error) {
      if (error instanceof ServerUnreachable || (error instanceof RequestRefused && error.status === 403)) return kept;
      throw error;
    }
    if (!served) return kept;
    const list = verifiedDeviceList(served, patient.bundle.signKey);
    if (kept) checkExtends(chainPoint(verifiedDeviceList(kept, patient.bundle.signKey)), list);
    await this.settings.put(key, served);
    return served;
  }

  /** The latest revision of a grant (after the patient rotated keys and re-issued it). */
  async reopen(grantId: string, patientId: string): Promise<{ share: Share; grant: OpenedGrant }> {
    const opened = await this.openEntry(await this.latestEntry(grantId, patientId));
    if (opened.share.patient.accountId !== patientId) throw new KeyChanged("the re-issued grant names another patient");
    return opened;
  }

  protected async stopSyncing(): Promise<void> {
    await Promise.all([...this.views].map((view) => view.close()));
  }
}

/** What the entries' grants cover; one that does not decode (anyone can fill an inbox) covers nothing. */
function coverage(entries: readonly InboxEntry[]): GrantPolicy[] {
  return entries.flatMap((e) => {
    try {
      return [decodeGrantWire(fromBase64Url(e.grant, "grant")).policy];
    } catch (error) {
      if (error instanceof StewardError) return [];
      throw error;
    }
  });
}

/** The entry for `grantId` (and `patientId`, if given); two patients under one id must be told apart. */
function only(entries: readonly InboxEntry[], grantId: string, patientId?: string): InboxEntry | undefined {
  const matches = entries.filter(
    (e) => e.grantId === grantId && (patientId === undefined || e.patientId === patientId),
  );
  if (matches.length > 1)
    throw new MalformedInput(
      `two patients shared under the id ${grantId}; open it with the patient's account id as well`,
    );
  return matches[0];
}
