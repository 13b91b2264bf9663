// Checking the writers' signed heads (shared/signedHead.ts) a pull or the live socket brings against
// what this reader holds. A head beyond what the reader was served means the server withholds data
// (WithheldData); a head that disagrees with the chain the reader holds, or with another head of
// the same writer, is a fork (ForkDetected); a head older than one already seen is a rollback. A
// patient device whose newest head is older than the heartbeat bound makes the data "possibly
// incomplete since" that time: nothing new, or withheld, cannot be told apart past the bound.
import { verifyMessage } from "../crypto/accountKeys.js";
import { bytesEqual, fromHex, toHex } from "../shared/bytes.js";
import { ForkDetected, InvalidSignature, RollbackDetected, UnknownAuthor, WithheldData } from "../shared/errors.js";
import {
  decodeHead,
  encodeHead,
  headSignedBytes,
  STALE_AFTER_MS,
  writerKey,
  type HeadScope,
  type SignedHead,
  type UnsignedHead,
} from "../shared/signedHead.js";
import { sodium } from "../crypto/sodium.js";
import type { ChainPoint } from "../shared/deviceList.js";
import type { HeadSeen } from "../shared/readReceipt.js";
import type { DeviceSettings } from "./settings.js";

/** A device silent for longer than this is taken as switched off, not as withheld. */
export const IDLE_AFTER_MS = 24 * 3_600_000;

/** Who signed a head, as this reader can tell ("revoked": a removed device or revoked writer, whose later word counts for nothing). */
export type HeadAuthor = "patient-device" | "writer" | "revoked" | "unknown";

export interface HeadContext {
  readonly patientId: Uint8Array;
  /**
   * Checks that this reader's device list reaches the one a patient's device names in its head
   * (RollbackDetected, or WithheldData once fetched again, when it is older; ForkDetected if another).
   */
  readonly devicesReach: (named: ChainPoint) => void;
  /** Whether this reader is served the whole log (a patient device) or a grant's part of it. */
  readonly seesWholeLog: boolean;
  /** What the head's signer is: one of the patient's active devices, another writer, or unknown. */
  author(head: SignedHead): HeadAuthor;
  /** Where this reader's copy of the writer's chain ends, if it holds any of it. */
  chain(writer: string): { readonly seq: number; readonly link: string } | undefined;
  /** For a grant's reader: whether the grant reaches this envelope (scope tag, hour, generation). */
  covers(scopeTag: Uint8Array, hour: number, generation: number): boolean;
  /** For a grant's reader: whether it holds this envelope, or a block holding its hour. */
  holds(scopeTag: Uint8Array, newest: NonNullable<HeadScope["newest"]>): Promise<boolean>;
  /** This device's own chain, whose heads need no checking against itself. */
  readonly self?: string;
  /** The patient's devices active in the device list, whose heads tell how fresh the data is. */
  readonly expected: readonly ExpectedDevice[];
}

/** One of the patient's devices: its hex id, and its name as the device list gives it. */
export interface ExpectedDevice {
  readonly id: string;
  readonly name: string;
}

export interface KnownHead {
  readonly seq: number;
  readonly link: string;
  readonly time: number;
  readonly authorKey: string;
  readonly deviceId: string;
  readonly keyRingVersion: number;
  /** The generation the writer writes under, per scope tag (hex). */
  readonly generations: Record<string, number>;
  readonly patientDevice: boolean;
}

export interface Freshness {
  readonly checkedAt: number;
  /**
   * Set when what this reader holds may be incomplete: the time of the newest sign of life of the
   * patient's devices that is older than the heartbeat bound (0 when none was ever seen).
   */
  readonly incompleteSince?: number;
  /** The names of the devices not heard from since then, so the person can tell a sleeping laptop. */
  readonly quiet?: readonly string[];
}

/** A writer's head, signed with its own key (a device key, or a write grantee's identity key). */
export function signHead(secretKey: Uint8Array, unsigned: UnsignedHead): Uint8Array {
  return encodeHead({ ...unsigned, signature: sodium().crypto_sign_detached(headSignedBytes(unsigned), secretKey) });
}

/** The heads one reader has seen (per patient log, or per grant view), kept across restarts. */
export class HeadTracker {
  private known: Record<string, KnownHead> | undefined;
  freshness: Freshness | undefined;

  constructor(
    private readonly settings: DeviceSettings,
    private readonly key: `heads${string}`,
  ) {}

  /** The newest head seen of each writer. */
  async heads(): Promise<Record<string, KnownHead>> {
    this.known ??= (await this.settings.get(this.key)) ?? {};
    return this.known;
  }

  /** The heads to echo in a read receipt. */
  async seen(): Promise<HeadSeen[]> {
    return Object.values(await this.heads()).map((h) => ({
      authorKey: fromHex(h.authorKey, 32),
      deviceId: fromHex(h.deviceId, 16),
      seq: h.seq,
      link: fromHex(h.link, 32),
      time: h.time,
    }));
  }

  /**
   * Checks `encoded` (every writer's head, served with a pull that reached the end of what this
   * reader may see, or on the live socket) and keeps them. Throws the first security error;
   * returns how fresh the data is. Heads of authors this reader cannot place are left out, unless
   * `strict` (then UnknownAuthor, so the caller can fetch the device list and try again).
   */
  async check(encoded: readonly Uint8Array[], ctx: HeadContext, now = Date.now(), strict = true): Promise<Freshness> {
    const known = { ...(await this.heads()) };
    for (const bytes of encoded) {
      const head = decodeHead(bytes);
      if (!bytesEqual(head.patientId, ctx.patientId))
        throw new InvalidSignature("the server served a head of another patient's log");
      verifyMessage(head.signature, headSignedBytes(head), head.authorKey, "signed head");
      const author = ctx.author(head);
      if (author === "revoked") continue;
      if (author === "unknown") {
        if (strict && ctx.seesWholeLog)
          throw new UnknownAuthor("a head is signed by a device this device does not know yet");
        continue;
      }
      if (author === "patient-device" && head.devices) ctx.devicesReach(head.devices);
      const writer = writerKey(head);
      const before = known[writer];
      if (before && (head.time < before.time || head.seq < before.seq)) {
        throw new RollbackDetected(
          `the server served an older head of a device (seq ${head.seq}) than this device already saw (seq ${before.seq}): it rolled back`,
        );
      }
      if (before && head.seq === before.seq && toHex(head.link) !== before.link)
        throw new ForkDetected(
          "two heads of one device name different envelopes under one sequence number: the server shows different histories",
        );
      if (writer !== ctx.self) await this.compare(head, writer, ctx);
      known[writer] = {
        seq: head.seq,
        link: toHex(head.link),
        time: head.time,
        authorKey: toHex(head.authorKey),
        deviceId: toHex(head.deviceId),
        keyRingVersion: head.keyRingVersion,
        generations: Object.fromEntries(head.scopes.map((s) => [toHex(s.scopeTag), s.generation])),
        patientDevice: author === "patient-device",
      };
    }
    this.known = known;
    await this.settings.put(this.key, known);
    const own = ctx.self?.split(":")[1];
    const others = ctx.expected.filter((d) => d.id !== own);
    this.freshness = freshnessOf(
      others.map((d) => ({ name: d.name, time: latestOf(Object.values(known), d.id) })),
      now,
    );
    return this.freshness;
  }

  /**
   * A grantee's echo (the heads its device was shown, in a receipt it signed at `at`) against the
   * heads this device saw. A head of the same writer and sequence with another link is a fork the
   * server kept up between them (ForkDetected). One behind a head this device saw signed longer than
   * the heartbeat bound before `at` means the server was showing that reader older data: returns
   * the time of the newest such head (undefined when the echo is current).
   */
  async echoed(heads: readonly HeadSeen[], at: number): Promise<number | undefined> {
    const known = await this.heads();
    let olderThan: number | undefined;
    for (const echo of heads) {
      const mine = known[writerKey(echo)];
      if (!mine) continue;
      if (echo.seq === mine.seq && toHex(echo.link) !== mine.link) {
        throw new ForkDetected(
          `a reader's device was shown another envelope ${echo.seq} of device ${toHex(echo.deviceId).slice(0, 8)}… than this device holds: the server shows you and that reader different histories`,
        );
      }
      if (echo.seq < mine.seq && mine.time + STALE_AFTER_MS < at) olderThan = Math.max(olderThan ?? 0, mine.time);
    }
    return olderThan;
  }

  /** One head against the reader's own copy of that writer's chain. */
  private async compare(head: SignedHead, writer: string, ctx: HeadContext): Promise<void> {
    const chain = ctx.chain(writer);
    if (chain && head.seq === chain.seq && toHex(head.link) !== chain.link) {
      throw new ForkDetected(
        `device ${toHex(head.deviceId).slice(0, 8)}… signed another envelope ${head.seq} than the one this device holds: the server shows different histories`,
      );
    }
    if (ctx.seesWholeLog) {
      if (head.seq > (chain?.seq ?? 0)) {
        throw new WithheldData(
          `a device of this account signed envelopes up to ${head.seq}, but the server served only up to ${chain?.seq ?? 0}: it is withholding data`,
        );
      }
      return;
    }
    for (const scope of head.scopes) {
      const newest = scope.newest;
      if (!newest || !ctx.covers(scope.scopeTag, newest.hour, newest.generation)) continue;
      if (!(await ctx.holds(scope.scopeTag, newest))) {
        throw new WithheldData(
          `the patient's device wrote data in hour ${newest.hour} that this share covers, but the server did not serve it: it is withholding data`,
        );
      }
    }
  }
}

/** The newest head time of one of the patient's devices (hex id), if any head of it was seen. */
function latestOf(heads: readonly KnownHead[], deviceId: string): number | undefined {
  const times = heads.filter((h) => h.patientDevice && h.deviceId === deviceId).map((h) => h.time);
  return times.length > 0 ? Math.max(...times) : undefined;
}

/**
 * How fresh a reader's data is, from the newest head of each of the patient's other devices
 * (undefined: none seen yet): fresh when every device heard from in the last day signed a head
 * within the heartbeat bound; otherwise incomplete since the oldest such head, or, when every device
 * is silent, since the newest sign of life (0: never).
 */
export function freshnessOf(
  devices: readonly { readonly name: string; readonly time: number | undefined }[],
  now: number,
): Freshness {
  if (devices.length === 0) return { checkedAt: now };
  const seen = devices.filter((d): d is { name: string; time: number } => d.time !== undefined);
  const awake = seen.filter((d) => now - d.time <= IDLE_AFTER_MS);
  const stale = awake.filter((d) => now - d.time > STALE_AFTER_MS);
  if (stale.length > 0)
    return { checkedAt: now, incompleteSince: Math.min(...stale.map((d) => d.time)), quiet: stale.map((d) => d.name) };
  if (awake.length > 0) return { checkedAt: now };
  const since = seen.length > 0 ? Math.max(...seen.map((d) => d.time)) : 0;
  return { checkedAt: now, incompleteSince: since, quiet: devices.map((d) => d.name) };
}
