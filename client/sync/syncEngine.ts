// Moves objects between the local log and the server: push the outbox, pull by cursor, seal the
// blocks of closed spans (the patient's devices), follow live updates, reconnect with backoff. Local
// writes never wait for it; it only carries them. It talks to a SyncLog (client/store/localLog.ts)
// the way it talks to a SyncTransport.
import {
  ExpiredGrant,
  MalformedInput,
  OutsideGrant,
  RequestRefused,
  RevokedAuthor,
  RevokedGrant,
  RollbackDetected,
  UnknownAuthor,
  ServerUnreachable,
  type StewardError,
  WithheldData,
} from "../../shared/errors.js";
import { MS_PER_HOUR } from "../../shared/records.js";
import { MAX_BATCH_BYTES, MAX_BATCH_ENVELOPES, type Extra, type Page } from "../../shared/syncFrames.js";
import type { Outgoing, SyncLog } from "../store/localLog.js";
import { CLOSE_GRANT_ENDED } from "../../shared/api.js";
import type { LiveConnection, SyncTransport } from "./transport.js";

export interface SyncStatus {
  readonly online: boolean;
  readonly pending: number;
  readonly lastSyncedAt?: number;
  /** The last failure, kept until a sync succeeds. Security errors (rollback, tampering) stay visible. */
  readonly error?: StewardError | Error;
  /** Set when this reader's access ended (its grant revoked or expired), saying which. */
  readonly ended?: GrantEnd;
  /**
   * Set when what this device holds may be incomplete since that time (ms; 0: since always): the
   * patient's devices signed no head within the heartbeat bound, so "nothing new" and "withheld"
   * cannot be told apart (client/heads.ts).
   */
  readonly incompleteSince?: number;
  /** With incompleteSince: the names of the patient's devices not heard from since then. */
  readonly quietDevices?: readonly string[];
  /** True while a sync, push or pull is under way. */
  readonly syncing: boolean;
}

/** How a grantee's access ended. */
export type GrantEnd = "revoked" | "expired";

/** The end a refusal reports, if it is one. */
function endOf(error: unknown): GrantEnd | undefined {
  return error instanceof RevokedGrant ? "revoked" : error instanceof ExpiredGrant ? "expired" : undefined;
}

function endedError(end: GrantEnd): StewardError {
  return end === "revoked"
    ? new RevokedGrant("the patient revoked this share; ask them to share again if you still need it")
    : new ExpiredGrant("this share has expired; ask the patient to share again");
}

/**
 * What a device adds to sync beside the objects (client/witness.ts): the signed head it sends with
 * every upload and as a heartbeat, and the checks of every writer's head a page brings.
 */
export interface SyncWitness {
  /** Extras for an upload of `batch` (empty: a heartbeat). */
  extras(batch: readonly Outgoing[]): Promise<Extra[]>;
  /** Whether a heartbeat head is due now. */
  heartbeatDue(): Promise<boolean>;
  /**
   * Checks a page's heads once this reader holds everything up to it; returns since when data may
   * be incomplete, and which of the patient's devices went quiet then.
   */
  check(
    extras: readonly Extra[],
    refreshed?: boolean,
  ): Promise<{ readonly incompleteSince?: number; readonly quiet?: readonly string[] }>;
  /**
   * Before anything is sealed or sent: fetches the key ring when another device's head says it
   * moved on (RollbackDetected if the server still serves the old one). True when unsent envelopes
   * may be under retired keys and must be sealed again.
   */
  beforePush(): Promise<boolean>;
  /** Whether this device writes (then it reads every writer's head before it sends anything). */
  readonly writes: boolean;
  /**
   * A page holds data this device cannot open even with the keys fetched again: RollbackDetected
   * when a head on it says another of the patient's devices writes under a newer key ring.
   */
  keysMissing(extras: readonly Extra[]): Promise<void>;
}

/** While following, how often the engine asks whether a heartbeat is due. */
const HEARTBEAT_CHECK_MS = 60_000;

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly random?: () => number;
}

/** Full-jitter exponential backoff: a random wait up to base·2^attempt, capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.floor((options.random ?? Math.random)() * cap);
}

/** While following, how often the engine checks for local writes still waiting (a push that failed). */
const PENDING_CHECK_MS = 15_000;

/** What the server relayed that its author signed after its access ended: refused, and said once. */
function refusedError(count: number): RevokedAuthor {
  const what = count === 1 ? "an object" : `${count} objects`;
  return new RevokedAuthor(
    `the server relayed ${what} signed after its author's access ended (a device removed from the account, or a writer whose share was revoked): refused and not shown, and everything else was taken in. If it happens again, report it: the server passes on what it should refuse`,
  );
}

/** Network failures, rate limits and server faults are retried; anything else (a security error) stops. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof ServerUnreachable ||
    error instanceof TypeError ||
    (error instanceof RequestRefused && error.transient)
  );
}

export class SyncEngine {
  private live?: LiveConnection;
  private following = false;
  private attempt = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private pendingCheck?: ReturnType<typeof setInterval>;
  /** Syncs, pushes and pulls under way, for `status.syncing`. */
  private active = 0;
  private pushing: Promise<unknown> = Promise.resolve();
  private running?: Promise<void>;
  private ending?: Promise<void>;
  /** Pulls and live pages ingest one at a time, so two of them never race on the same cursor. */
  private ingesting: Promise<unknown> = Promise.resolve();
  /** Objects refused for their author (a removed device, a revoked writer) not yet reported. */
  private refused = 0;
  private state: SyncStatus = { online: false, pending: 0, syncing: false };
  private readonly listeners = new Set<(status: SyncStatus) => void>();

  constructor(
    private readonly log: SyncLog,
    private readonly transport: SyncTransport,
    private readonly backoff: BackoffOptions = { baseMs: 500, maxMs: 30_000 },
    /** Fetches newer keys: another device rotated them, or the patient re-issued the grant. */
    private readonly refreshKeys?: () => Promise<void>,
    /** Runs once when a reader's access ends, before the status says so (a view deletes its data). */
    private readonly onEnded?: (end: GrantEnd) => Promise<void>,
    private readonly witness?: SyncWitness,
  ) {}

  private heartbeat?: ReturnType<typeof setInterval>;

  get status(): SyncStatus {
    return this.state;
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async update(patch: Partial<SyncStatus>): Promise<void> {
    const pending = await this.log.pendingCount();
    this.state = { ...this.state, pending, ...patch, syncing: this.active > 0 };
    for (const listener of this.listeners) listener(this.state);
  }

  /** Counts `work` in `status.syncing` while it runs. */
  private track(work: () => Promise<void>): Promise<void> {
    this.active++;
    const say = () => void this.update({}).catch(() => undefined);
    say();
    return work().finally(() => {
      this.active--;
      say();
    });
  }

  /**
   * Pushes everything pending, pulls everything new, then seals closed spans. Concurrent calls share
   * one run. Once the reader's access ended it raises RevokedGrant or ExpiredGrant without asking the
   * server. Objects refused for their author raise RevokedAuthor once the rest is done and kept.
   */
  sync(): Promise<void> {
    if (this.state.ended) return Promise.reject(endedError(this.state.ended));
    this.running ??= this.track(() => this.syncOnce()).finally(() => (this.running = undefined));
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    let refused: RevokedAuthor | undefined;
    try {
      // A writer reads every writer's head first: another device may have moved to newer keys
      // (a revocation), and nothing may go out under the retired ones.
      if (this.witness?.writes && (await this.log.pendingCount()) > 0) await this.pullAll();
      await this.push();
      await this.pullAll();
      // Blocks hold acknowledged envelopes up to the cursor: sealed after the pull (a pull of a v1
      // log seals its hours too), then sent.
      await this.log.sealClosed(Math.floor(Date.now() / MS_PER_HOUR));
      if ((await this.log.pendingCount()) > 0) await this.push();
      this.attempt = 0;
      refused = this.takeRefused();
      await this.update({ online: true, lastSyncedAt: Date.now(), error: refused });
    } catch (error) {
      const end = endOf(error);
      if (end) await this.end(end, error as StewardError);
      else {
        await this.update({ online: !isTransient(error), error: error as Error });
        if (isTransient(error)) this.scheduleRetry();
      }
      throw error;
    }
    if (refused) throw refused;
  }

  /** The reader's access ended: stop following, let the owner clean up, then say so. Once. */
  private async end(end: GrantEnd, error: StewardError = endedError(end)): Promise<void> {
    if (this.ending !== undefined) return this.ending;
    if (this.state.ended) return;
    this.unfollow();
    this.ending = (async () => {
      try {
        await this.onEnded?.(end);
      } finally {
        await this.update({ online: false, ended: end, error });
      }
    })();
    return this.ending;
  }

  /**
   * Seals waiting writes into envelopes, then sends the outbox in order, in batches. A crash between
   * send and ack resends: the server stores each id once.
   */
  push(): Promise<void> {
    // One push at a time: a re-seal renames outbox entries another push could be sending.
    const run = this.pushing.then(() => this.track(() => this.pushNow()));
    this.pushing = run.catch(() => undefined);
    return run;
  }

  private async pushNow(): Promise<void> {
    if (await this.witness?.beforePush()) {
      // Lost acks come back as this device's own objects first; the rest was never stored.
      await this.pullAll();
      await this.log.reseal();
    }
    await this.log.sealWrites();
    let recovered = false;
    for (;;) {
      const pending = await this.log.outgoing(MAX_BATCH_ENVELOPES);
      if (pending.length === 0) {
        if (this.witness && (await this.witness.heartbeatDue()))
          await this.transport.push(this.log.patient, [], await this.witness.extras([]));
        return;
      }
      try {
        await this.send(batchOf(pending));
      } catch (error) {
        if (
          error instanceof RequestRefused &&
          (error.reason === "conflict" || error.reason === "not_found") &&
          pending[0]!.kind === "block"
        ) {
          await this.sendBlocksAlone(batchOf(pending));
          continue;
        }
        if (recovered || !this.refreshKeys || !(error instanceof RequestRefused && error.reason === "stale_generation"))
          throw error;
        recovered = true;
        await this.recoverFromRotation();
      }
    }
  }

  private async send(batch: readonly Outgoing[]): Promise<void> {
    const seqs = await this.transport.push(
      this.log.patient,
      batch.map((p) => p.bytes),
      (await this.witness?.extras(batch)) ?? [],
    );
    if (seqs.length !== batch.length)
      throw new MalformedInput(`the server acknowledged ${seqs.length} of ${batch.length} objects`);
    await this.log.acknowledge(batch.map((p, i) => ({ id: p.id, seq: seqs[i]! })));
  }

  /**
   * A batch of blocks the server refused: one whose span changed since it was sealed (another device
   * sealed it first, or an envelope arrived) will never be accepted, so each is tried alone and a
   * refused one dropped. Nothing is lost: its sources are still here and on the server.
   */
  private async sendBlocksAlone(batch: readonly Outgoing[]): Promise<void> {
    for (const block of batch) {
      try {
        await this.send([block]);
      } catch (error) {
        if (!(error instanceof RequestRefused && (error.reason === "conflict" || error.reason === "not_found")))
          throw error;
        await this.log.refuse(block.id);
      }
    }
  }

  /**
   * Another device rotated the keys while this one wrote offline. Envelopes the server already holds
   * (a lost ack) are sent one by one and acknowledged; from the first it refuses on, none can be
   * stored (each must continue the chain), so those are re-sealed under the new keys and sent again.
   */
  private async recoverFromRotation(): Promise<void> {
    await this.refreshKeys!();
    for (let pending = await this.log.outgoing(1); pending.length > 0; pending = await this.log.outgoing(1)) {
      try {
        await this.send(pending);
      } catch (error) {
        if (!(error instanceof RequestRefused && error.reason === "stale_generation")) throw error;
        await this.log.reseal();
        return;
      }
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.ingesting.then(task);
    this.ingesting = run.catch(() => undefined);
    return run;
  }

  /** Pulls pages until the server has nothing newer; objects refused for their author raise RevokedAuthor at the end. */
  async pull(): Promise<void> {
    await this.pullAll();
    const refused = this.takeRefused();
    if (refused) throw refused;
  }

  /** Objects refused since they were last reported, as the error to report (once). */
  private takeRefused(): RevokedAuthor | undefined {
    const count = this.refused;
    this.refused = 0;
    return count > 0 ? refusedError(count) : undefined;
  }

  private pullAll(): Promise<void> {
    return this.track(() =>
      this.serial(async () => {
        try {
          await this.pullNow();
        } catch (error) {
          // Caught withholding: the cursor went back to the start; one pull again brings what the
          // server serves now (a server that behaves again), or the same error.
          if (!(error instanceof WithheldData)) throw error;
          await this.pullNow();
        }
      }),
    );
  }

  private async pullNow(): Promise<void> {
    for (;;) {
      const after = await this.log.cursor();
      const page = await this.transport.pull(this.log.patient, after);
      await this.accept(page, after);
      if (!page.more) return;
    }
  }

  /** Checks a page's order against what this device already saw, then ingests it. */
  private async accept(page: Page, after: number): Promise<void> {
    let last = after;
    for (const entry of page.entries) {
      if (entry.seq <= last)
        throw new RollbackDetected(
          `the server sent seq ${entry.seq} after ${last}: it replayed, reordered or rolled back its log`,
        );
      last = entry.seq;
    }
    if (page.cursor < after)
      throw new RollbackDetected(
        `the server's log ends at ${page.cursor}, before seq ${after} this device already saw`,
      );
    try {
      this.refused += (await this.log.ingest(page.entries, page.cursor, !this.refreshKeys)).refused;
    } catch (error) {
      // Data under a key generation this device lacks (another device rotated, or the patient
      // re-issued the grant), by a device or write grantee it has not heard of, or checked against an
      // older device list than the grant names: fetch the keys once and ingest again; what was
      // stored is skipped.
      if (
        !(error instanceof OutsideGrant || error instanceof UnknownAuthor || error instanceof RollbackDetected) ||
        !this.refreshKeys
      )
        throw error;
      await this.refreshKeys();
      try {
        this.refused += (await this.log.ingest(page.entries, page.cursor, true)).refused;
      } catch (again) {
        if (again instanceof OutsideGrant) await this.witness?.keysMissing(page.extras ?? []);
        throw again;
      }
    }
    if (page.cursor > (await this.log.cursor())) await this.log.advanceCursorTo(page.cursor);
    if (!page.more) await this.checkHeads(page.extras ?? []);
  }

  /** The heads of a page that left nothing newer to pull; an unknown signer (or an old device list) is looked up once. */
  private async checkHeads(extras: readonly Extra[]): Promise<void> {
    if (!this.witness) return;
    const witness = this.witness;
    // What was held back may lie behind the cursor (pages served without it): pulled again from
    // the start next time, so it arrives once the server serves it.
    const check = (refreshed: boolean) =>
      witness.check(extras, refreshed).catch(async (error: unknown) => {
        if (error instanceof WithheldData) await this.log.rewindCursor();
        throw error;
      });
    let freshness: Awaited<ReturnType<SyncWitness["check"]>>;
    try {
      freshness = await check(false);
    } catch (error) {
      if (!(error instanceof UnknownAuthor || error instanceof RollbackDetected) || !this.refreshKeys) throw error;
      await this.refreshKeys();
      freshness = await check(true);
    }
    await this.update({ incompleteSince: freshness.incompleteSince, quietDevices: freshness.quiet });
  }

  /**
   * Follows live updates until stopped or the grant ends, and keeps this device in sync meanwhile:
   * a failed sync or a dropped socket is retried with backoff, at once when the browser says it is
   * back online, and writes still waiting are sent on a periodic check.
   */
  async follow(): Promise<void> {
    if (this.following) return;
    this.following = true;
    this.heartbeat ??= setInterval(() => {
      if (this.following)
        void this.witness
          ?.heartbeatDue()
          .then((due) => (due ? this.push() : undefined))
          .catch(() => undefined);
    }, HEARTBEAT_CHECK_MS);
    globalThis.addEventListener?.("online", this.retryNow);
    this.pendingCheck = setInterval(() => {
      if (this.state.pending > 0 && !this.retryTimer && !this.running) void this.sync().catch(() => undefined);
    }, PENDING_CHECK_MS);
    // In Node (the bridge, scripts) the check alone must not keep the process running.
    (this.pendingCheck as { unref?: () => void }).unref?.();
    await this.connect();
  }

  private readonly retryNow = () => {
    if (!this.following) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.attempt = 0;
    void this.reconnectOrSync();
  };

  private reconnectOrSync(): Promise<void> {
    return this.live ? this.sync().catch(() => undefined) : this.connect();
  }

  private unfollow(): void {
    this.following = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    globalThis.removeEventListener?.("online", this.retryNow);
    if (this.pendingCheck) clearInterval(this.pendingCheck);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.live?.close();
    this.live = undefined;
  }

  private async connect(): Promise<void> {
    if (!this.following) return;
    try {
      // Refused objects are in the status already; the rest was taken in, so following goes on.
      await this.sync().catch((error: unknown) => {
        if (!(error instanceof RevokedAuthor)) throw error;
      });
      const after = await this.log.cursor();
      this.live = await this.transport.live(this.log.patient, after, {
        onPage: (page) => {
          if (this.following) void this.onLivePage(page);
        },
        onClose: (code, reason) => {
          this.live = undefined;
          // Closed by stop(): nothing to report, and the store may already be closed.
          if (!this.following) return;
          if (code === CLOSE_GRANT_ENDED) {
            void this.end(/expired/.test(reason) ? "expired" : "revoked");
            return;
          }
          void this.update({ online: false }).catch(() => undefined);
          this.scheduleRetry();
        },
      });
      // Catch up on anything pushed between the first pull and the socket opening.
      await this.pullAll();
      const refused = this.takeRefused();
      if (refused) await this.update({ error: refused });
      this.attempt = 0;
    } catch (error) {
      // A security failure is not a network blip: stop and show it.
      if (!isTransient(error)) this.unfollow();
      else this.scheduleRetry();
    }
  }

  private async onLivePage(page: Page): Promise<void> {
    try {
      await this.serial(() => this.acceptLive(page));
      await this.update({ online: true, lastSyncedAt: Date.now(), error: this.takeRefused() });
    } catch (error) {
      await this.update({ error: error as Error });
    }
  }

  /**
   * A live page may repeat what a pull already brought (only newer entries count), or arrive after
   * a page that was lost or is still on its way. One that does not continue from the cursor is only
   * a hint to pull: applying it would move the cursor past entries this device never received.
   */
  private async acceptLive(page: Page): Promise<void> {
    // Heads alone (a writer's heartbeat): checked at the end of a pull, against all that came before.
    if (page.entries.length === 0) return this.pullNow();
    const after = await this.log.cursor();
    const fresh = page.entries.filter((e) => e.seq > after);
    if (fresh.length === 0) return;
    if (fresh[0]!.seq !== after + 1) return this.pullNow();
    await this.accept({ ...page, entries: fresh, cursor: Math.max(page.cursor, after) }, after);
  }

  /** One retry at a time, later each time it fails: a sync if the socket is up, else a reconnect. */
  private scheduleRetry(): void {
    if (!this.following || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.reconnectOrSync();
    }, delay);
  }

  /**
   * Stops following; resolves once the pull or live page being ingested has finished. `ended` marks
   * the reader's access as over (the grantee's own expiry check).
   */
  async stop(options: { ended?: GrantEnd } = {}): Promise<void> {
    this.unfollow();
    await this.ingesting;
    if (options.ended) await this.end(options.ended);
  }
}

/** The outbox's head as one upload: objects of one kind, in order, up to the batch's size in bytes. */
function batchOf(pending: readonly Outgoing[]): Outgoing[] {
  const batch: Outgoing[] = [];
  let bytes = 13;
  for (const p of pending) {
    if (batch.length > 0 && (p.kind !== batch[0]!.kind || bytes + 4 + p.bytes.length > MAX_BATCH_BYTES)) break;
    batch.push(p);
    bytes += 4 + p.bytes.length;
  }
  return batch;
}
