// One open share on a grantee's device: the records the grant covers (read, and write for a write
// grant) and their sync, until the grant expires or is revoked; then what it held leaves the device.
import type { AccountKeys } from "../crypto/accountKeys.js";
import type { OpenedGrant } from "../crypto/grant.js";
import type { GrantPolicy } from "../shared/grantCodec.js";
import { EXTRA_KINDS } from "../shared/syncFrames.js";
import type { ServerApi } from "./api/serverApi.js";
import type { Share } from "./grantee.js";
import { grantKeySource } from "./keySource.js";
import { ReceiptWriter } from "./readReceipts.js";
import { DeviceSettings } from "./settings.js";
import type { StewardDatabase } from "./store/database.js";
import { LocalLog } from "./store/localLog.js";
import { purgeShare } from "./store/purge.js";
import { RecordStore } from "./store/recordStore.js";
import { HttpTransport } from "./sync/httpTransport.js";
import { SyncEngine } from "./sync/syncEngine.js";
import { Witness } from "./witness.js";

/** What a view asks of the device that opened it (the Grantee). */
export interface ShareOwner {
  /** The share ended: what other running shares from the patient still cover. */
  endShare(patientId: string, grantId: string): Promise<GrantPolicy[]>;
  /** The grant's latest revision, opened. */
  reopen(grantId: string, patientId: string): Promise<{ share: Share; grant: OpenedGrant }>;
  /** The patient's signed device list, fetched again when `fresh`. */
  patientDevices(patientId: string, fresh: boolean): Promise<Uint8Array | undefined>;
}

/** What a view is opened with: the grant, and the grantee device it runs on. */
export interface SharedViewOptions {
  readonly owner: ShareOwner;
  readonly share: Share;
  readonly grant: OpenedGrant;
  readonly db: StewardDatabase;
  readonly account: AccountKeys;
  readonly deviceId: Uint8Array;
  readonly api: ServerApi;
  readonly WebSocket?: typeof WebSocket;
  /** The patient's signed device list as this account last fetched it (whose keys sign the patient's data). */
  readonly devices: Uint8Array | undefined;
  readonly onClose: () => void;
}

/** One open share: records (read, and write for a write grant) and sync, until the grant ends. */
export class SharedView {
  readonly records: RecordStore;
  readonly sync: SyncEngine;
  /** This device's signed receipts of what the view read, for the patient's access log. */
  readonly receipts: ReceiptWriter;
  private grant: OpenedGrant;
  private readonly log: LocalLog;
  private readonly witness: Witness;
  private expiryTimer?: ReturnType<typeof setTimeout>;
  private refreshing?: Promise<void>;
  share: Share;
  private readonly owner: ShareOwner;
  private devices: Uint8Array | undefined;
  private readonly onClose: () => void;

  constructor(o: SharedViewOptions) {
    const { share, db, account, deviceId } = o;
    this.owner = o.owner;
    this.share = share;
    this.grant = o.grant;
    this.devices = o.devices;
    this.onClose = o.onClose;
    const keys = grantKeySource(
      () => this.grant,
      account.signKey,
      () => this.devices,
    );
    const author = { signKey: account.signKey, signSecretKey: account.signSecretKey, deviceId };
    this.log = new LocalLog(db, keys, author, share.grantId);
    this.records = new RecordStore(this.log);
    const patient = share.patient.accountId;
    const transport = new HttpTransport(o.api, {
      ...(o.WebSocket ? { WebSocket: o.WebSocket } : {}),
      grantId: share.grantId,
    });
    const witness = {
      log: this.log,
      keys,
      author,
      key: `heads/${patient}/${share.grantId}` as const,
      ringVersion: async () => 0,
    };
    this.witness = new Witness({ ...witness, heartbeat: false, writes: share.write });
    // Data under a key generation this revision lacks, a write refused as stale, or a signer this
    // view cannot place: the patient rotated and re-issued the grant, or linked a device; the engine
    // fetches the new revision and the device list, and retries.
    this.sync = new SyncEngine(
      this.log,
      transport,
      undefined,
      () => this.followRevision(),
      () => this.forget(db),
      this.witness,
    );
    const deliver = (receipt: Uint8Array) =>
      transport.push(patient, [], [{ kind: EXTRA_KINDS.receipt, bytes: receipt }]);
    const progress = {
      cursor: () => this.log.cursor(),
      count: async (after: number, cursor: number) => {
        const range = [
          [patient, after + 1],
          [patient, cursor],
        ] as const;
        const counts = await Promise.all(
          [db.envelopes, db.blocks].map((table) =>
            table.where("[patient+seq]").between(range[0], range[1], true, true).count(),
          ),
        );
        return counts[0]! + counts[1]!;
      },
    };
    const heads = () => this.witness.tracker.seen();
    this.receipts = new ReceiptWriter(
      new DeviceSettings(db),
      deliver,
      account,
      deviceId,
      patient,
      share.grantId,
      progress,
      heads,
    );
    let synced = this.sync.status.lastSyncedAt;
    this.sync.onStatus((status) => {
      if (status.lastSyncedAt === synced) return;
      synced = status.lastSyncedAt;
      this.receipts.received();
    });
    this.scheduleExpiry();
  }

  /**
   * The share ended: its decrypted shards leave memory and its envelopes leave IndexedDB, except
   * what another running share from the same patient covers. Then `sync.status.ended` says how.
   */
  private async forget(db: StewardDatabase): Promise<void> {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.log.evict();
    const running = await this.owner.endShare(this.share.patient.accountId, this.share.grantId);
    await purgeShare(db, this.share.patient.accountId, this.log.cursorKey, this.grant.policy, running);
  }

  /** Envelopes written by the patient's other write grantees, which this view cannot verify and does not show. */
  get unverifiable(): number {
    return this.log.unverifiableAuthors;
  }

  /** Milliseconds until the grant ends (0 once it has). */
  endsIn(now = Date.now()): number {
    return Math.max(0, this.share.expiresAt - now);
  }

  private scheduleExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    // setTimeout holds at most ~24.8 days; longer grants re-arm on the way.
    const wait = Math.min(this.endsIn(), 2 ** 31 - 1);
    this.expiryTimer = setTimeout(() => {
      if (this.endsIn() > 0) return this.scheduleExpiry();
      void this.sync.stop({ ended: "expired" });
    }, wait);
  }

  /** Since when what this view shows may be incomplete (the patient's devices went quiet past the heartbeat bound), if so. */
  get incompleteSince(): number | undefined {
    return this.sync.status.incompleteSince;
  }

  private followRevision(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const latest = await this.owner.reopen(this.share.grantId, this.share.patient.accountId);
        // Fetched after the grant: a re-issued one names the list with the change that caused it.
        this.devices = (await this.owner.patientDevices(this.share.patient.accountId, true)) ?? this.devices;
        if (latest.share.revision <= this.share.revision) return;
        this.grant = latest.grant;
        this.share = latest.share;
        this.scheduleExpiry();
      } catch {
        // The engine reports its own failure; a revoked grant ends the view through the socket.
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  async close(): Promise<void> {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    await this.refreshing;
    await this.sync.stop();
    await this.receipts.flush().catch(() => undefined);
    this.onClose();
  }
}
