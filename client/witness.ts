// What a device adds to sync to catch a server that withholds, forks or serves old key rings
// (client/sync/syncEngine.ts calls it): the signed head it sends with every upload and, on a
// patient's device, as a heartbeat every few minutes while it follows the log; the checks of every
// writer's head a page brings (client/heads.ts); and, before anything is sealed or sent, the check
// that no head of another of the patient's devices says this one writes under retired keys.
import { bytesEqual, fromHex, toHex } from "../shared/bytes.js";
import { activeDevices, authorStanding, checkExtends, findDevice } from "../shared/deviceList.js";
import { decodeEnvelopeHeader, envelopeLink } from "../shared/envelopeCodec.js";
import { OutsideGrant, RollbackDetected, WithheldData } from "../shared/errors.js";
import { verifyMessage } from "../crypto/accountKeys.js";
import { HEARTBEAT_MS, decodeHead, headSignedBytes, type HeadScope, type SignedHead } from "../shared/signedHead.js";
import { EXTRA_KINDS, splitEnvelopePrefix, type Extra } from "../shared/syncFrames.js";
import { type Freshness, HeadTracker, signHead, type HeadAuthor, type HeadContext } from "./heads.js";
import { chainPoint } from "./devices.js";
import type { KeySource } from "./keySource.js";
import { DeviceSettings } from "./settings.js";
import type { LocalLog, Outgoing } from "./store/localLog.js";
import type { Author } from "./store/outbox.js";
import { deviceKey } from "./sync/chain.js";
import type { SyncWitness } from "./sync/syncEngine.js";

/** How many of a scope's newest rows are looked through for this device's own newest envelope. */
const NEWEST_SCAN = 64;

export interface WitnessOptions {
  readonly log: LocalLog;
  readonly keys: KeySource;
  readonly author: Author;
  /** Where the heads this reader saw are kept. */
  readonly key: `heads${string}`;
  /** The key-ring version this device holds (0 for a grantee). */
  readonly ringVersion: () => Promise<number>;
  /** Whether this device signs a heartbeat head while it follows the log (a patient's devices). */
  readonly heartbeat: boolean;
  /** Whether this device writes at all (a read-only grantee signs no head). */
  readonly writes: boolean;
  /** Fetches the key ring again (a patient's device that met a newer one in another device's head). */
  readonly refreshRing?: () => Promise<void>;
}

export class Witness implements SyncWitness {
  readonly tracker: HeadTracker;
  private lastSent = 0;
  private lastRing = 0;

  constructor(private readonly o: WitnessOptions) {
    this.tracker = new HeadTracker(new DeviceSettings(o.log.db), o.key);
  }

  private get self(): string {
    return deviceKey({ authorKey: this.o.author.signKey, deviceId: this.o.author.deviceId });
  }

  get writes(): boolean {
    return this.o.writes;
  }

  async keysMissing(extras: readonly Extra[]): Promise<void> {
    if (!this.o.refreshRing) return;
    let newest = 0;
    for (const extra of extras) {
      if (extra.kind !== EXTRA_KINDS.head) continue;
      const head = decodeHead(extra.bytes);
      verifyMessage(head.signature, headSignedBytes(head), head.authorKey, "signed head");
      if (this.authorOf(head) === "patient-device") newest = Math.max(newest, head.keyRingVersion);
    }
    const held = await this.o.ringVersion();
    if (newest > held) throw oldRing(newest, held);
  }

  /** Every few minutes, and at once when this device moved to a newer key ring (a revocation the others must learn of). */
  async heartbeatDue(now = Date.now()): Promise<boolean> {
    return this.o.heartbeat && (now - this.lastSent >= HEARTBEAT_MS || (await this.o.ringVersion()) !== this.lastRing);
  }

  /** This device's signed head for an upload of `batch` (none for a reader that writes nothing). */
  async extras(batch: readonly Outgoing[]): Promise<Extra[]> {
    if (!this.o.writes) return [];
    const mine = batch
      .filter((o) => o.kind === "envelope")
      .map((o) => ({ id: o.id, prefix: splitEnvelopePrefix(o.bytes) }))
      .map((o) => ({ ...o, header: decodeEnvelopeHeader(o.prefix.headerBytes) }))
      .filter(
        (o) =>
          bytesEqual(o.header.authorKey, this.o.author.signKey) &&
          bytesEqual(o.header.deviceId, this.o.author.deviceId),
      );
    const last = mine.at(-1);
    const chain = last
      ? {
          seq: last.header.seq,
          link: envelopeLink(last.prefix.headerBytes, last.prefix.bodyLength, last.prefix.bodyHash),
        }
      : await this.acknowledgedChain();
    const inBatch = new Set(mine.map((o) => o.id));
    const time = Date.now();
    const ring = await this.o.ringVersion();
    const list = this.o.keys.patientDevices();
    const bytes = signHead(this.o.author.signSecretKey, {
      patientId: this.o.keys.patientId,
      authorKey: this.o.author.signKey,
      deviceId: this.o.author.deviceId,
      seq: chain.seq,
      link: chain.link,
      keyRingVersion: ring,
      // A patient's device vouches for the device list it writes under; a grantee's has no say in it.
      ...(this.o.keys.seesWholeLog && list ? { devices: chainPoint(list) } : {}),
      time,
      scopes: await this.scopes(inBatch),
    });
    this.lastSent = time;
    this.lastRing = ring;
    return [{ kind: EXTRA_KINDS.head, bytes }];
  }

  /** Where this device's chain ends on the server: before its first envelope still waiting in the outbox. */
  private async acknowledgedChain(): Promise<{ seq: number; link: Uint8Array }> {
    const waiting = (await this.o.log.outgoing(Infinity))
      .filter((o) => o.kind === "envelope")
      .map((o) => decodeEnvelopeHeader(splitEnvelopePrefix(o.bytes).headerBytes));
    const first = waiting.find(
      (h) => bytesEqual(h.authorKey, this.o.author.signKey) && bytesEqual(h.deviceId, this.o.author.deviceId),
    );
    if (first) return { seq: first.seq - 1, link: first.prevHash };
    const own = (await this.o.log.chainHeads())[this.self];
    return own ? { seq: own.seq, link: fromHex(own.link, 32) } : { seq: 0, link: new Uint8Array(32) };
  }

  /** Per scope: the generation this device writes under and its own envelope at the latest hour. */
  private async scopes(inBatch: ReadonlySet<string>): Promise<HeadScope[]> {
    const out: HeadScope[] = [];
    for (const scope of this.o.keys.scopes()) {
      let generation: number;
      try {
        generation = this.o.keys.writeGeneration(scope, Math.floor(Date.now() / 3_600_000));
      } catch (error) {
        if (!(error instanceof OutsideGrant)) throw error;
        continue;
      }
      const tag = this.o.keys.tagOf(scope);
      const rows = await this.o.log.db.envelopes
        .where("[patient+tag+hour]")
        .between([this.o.log.patient, toHex(tag), 0], [this.o.log.patient, toHex(tag), Infinity])
        .reverse()
        .limit(NEWEST_SCAN)
        .toArray();
      const newest = rows.find((row) => {
        if (row.seq === 0 && !inBatch.has(row.id)) return false;
        const h = decodeEnvelopeHeader(splitEnvelopePrefix(row.bytes).headerBytes);
        return bytesEqual(h.authorKey, this.o.author.signKey) && bytesEqual(h.deviceId, this.o.author.deviceId);
      });
      out.push({
        scopeTag: tag,
        generation,
        ...(newest
          ? { newest: { envelopeId: fromHex(newest.id, 16), hour: newest.hour, generation: newest.generation } }
          : {}),
      });
    }
    return out;
  }

  /** Checks the heads a page brought once this reader holds everything up to it. */
  async check(extras: readonly Extra[], refreshed = false): Promise<Freshness> {
    const heads = extras.filter((e) => e.kind === EXTRA_KINDS.head).map((e) => e.bytes);
    const chains = await this.o.log.chainHeads();
    const keys = this.o.keys;
    const db = this.o.log.db;
    const patient = this.o.log.patient;
    const list = keys.patientDevices();
    const ctx: HeadContext = {
      patientId: keys.patientId,
      devicesReach: (named) => {
        try {
          if (!list) throw new RollbackDetected("the server served no list of the patient's devices");
          checkExtends(named, list);
        } catch (error) {
          // Still older once fetched again: the server hides a change (a device linked, say) and,
          // with it, what that device wrote.
          if (!refreshed || !(error instanceof RollbackDetected)) throw error;
          throw new WithheldData(
            `one of the patient's devices knows a newer list of the patient's devices than the server serves: data of a device on it may be held back. ${error.message}`,
          );
        }
      },
      seesWholeLog: keys.seesWholeLog,
      author: (head) => this.authorOf(head),
      expected: list
        ? activeDevices(list).map((d) => ({ id: toHex(d.certificate.deviceId), name: d.certificate.name }))
        : [],
      chain: (writer) => chains[writer],
      self: this.self,
      covers: (tag, hour, generation) => {
        const scope = keys.scopeOfTag(tag);
        return !!scope && keys.reaches(scope, generation, hour, hour);
      },
      holds: async (tag, newest) => {
        if (await db.envelopes.get(toHex(newest.envelopeId))) return true;
        const blocks = await db.blocks
          .where("[patient+tag+last]")
          .between([patient, toHex(tag), newest.hour], [patient, toHex(tag), Infinity])
          .toArray();
        return blocks.some((b) => b.generation === newest.generation && b.first <= newest.hour);
      },
    };
    return this.tracker.check(heads, ctx);
  }

  /**
   * A head's signer: one of the patient's active devices (by the device list), a writer this reader
   * knows, or neither. A removed device's heads never count: its key may be in a thief's hands, and
   * a head says nothing of when it was signed (its sequence may be an old one, its time made up).
   */
  private authorOf(head: SignedHead): HeadAuthor {
    const list = this.o.keys.patientDevices();
    const standing = list ? authorStanding(list, head.authorKey, head.deviceId, head.seq) : "unknown";
    if (standing === "removed" || (standing === "allowed" && findDevice(list!, head.deviceId)?.removed))
      return "revoked";
    if (standing === "allowed") return "patient-device";
    return this.o.keys.writers().some((w) => bytesEqual(w.signKey, head.authorKey)) ? "writer" : "unknown";
  }

  /**
   * Before sealing or sending: when another of the patient's devices signed a head under a newer key
   * ring, or a newer generation of a scope, this device fetches the ring first; a server that still
   * serves the old ring is caught, and nothing goes out under the retired keys. True when envelopes
   * sealed before may be under a retired generation (the engine seals them again).
   */
  async beforePush(): Promise<boolean> {
    const refresh = this.o.refreshRing;
    if (!refresh) return false;
    const others = Object.entries(await this.tracker.heads()).filter(
      ([writer, h]) => writer !== this.self && h.patientDevice,
    );
    const newest = Math.max(0, ...others.map(([, h]) => h.keyRingVersion));
    if (newest <= (await this.o.ringVersion()) && !others.some(([, h]) => this.behind(h.generations))) return false;
    await refresh();
    const held = await this.o.ringVersion();
    if (held < newest) throw oldRing(newest, held);
    if (others.some(([, h]) => this.behind(h.generations))) {
      throw new RollbackDetected(
        "another of your devices writes under newer keys than the key ring the server serves: nothing is sent under the retired ones",
      );
    }
    return true;
  }

  /** Whether a head's generations are ahead of what this device writes under. */
  private behind(generations: Record<string, number>): boolean {
    return this.o.keys
      .scopes()
      .some((scope) => (generations[toHex(this.o.keys.tagOf(scope))] ?? 0) > this.o.keys.writeGeneration(scope, 0));
  }
}

function oldRing(newest: number, held: number): RollbackDetected {
  return new RollbackDetected(
    `another of your devices writes under key ring version ${newest}, but the server serves version ${held}: it is serving an old key ring, so nothing is sent`,
  );
}
