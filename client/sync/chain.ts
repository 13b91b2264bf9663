// Per-device hash chains as a reader sees them. Each author device numbers its envelopes 1, 2, …
// and links each to the previous one; a reader remembers the last (seq, link) per device, so a
// server that drops, reorders, replays or rolls back envelopes is caught rather than believed.
import { fromHex, toHex } from "../../shared/bytes.js";
import type { EnvelopeHeader } from "../../shared/envelopeCodec.js";
import { ChainBroken, GapDetected, RollbackDetected } from "../../shared/errors.js";

export type Heads = Record<string, { seq: number; link: string }>;

export function deviceKey(header: Pick<EnvelopeHeader, "authorKey" | "deviceId">): string {
  return `${toHex(header.authorKey)}:${toHex(header.deviceId)}`;
}

/**
 * Checks a new (not yet stored) envelope against the heads and advances them. `complete` readers
 * see the whole log, so every seq must follow the last one; filtered readers (grantees) see a
 * subset, so seqs must only increase, and they link when consecutive.
 */
export function advanceChain(heads: Heads, header: EnvelopeHeader, link: Uint8Array, complete: boolean): void {
  const key = deviceKey(header);
  const head = heads[key];
  const lastSeq = head?.seq ?? 0;
  if (header.seq <= lastSeq)
    throw new RollbackDetected(
      `device ${key.slice(0, 8)}… sent seq ${header.seq} after ${lastSeq}: the server replayed or reordered its envelopes`,
    );
  if (header.seq === lastSeq + 1) {
    const expected = head?.link ?? toHex(new Uint8Array(32));
    if (toHex(header.prevHash) !== expected)
      throw new ChainBroken(`envelope ${header.seq} of device ${key.slice(0, 8)}… does not link to the one before it`);
  } else if (complete) {
    throw new GapDetected(`envelopes ${lastSeq + 1}–${header.seq - 1} of device ${key.slice(0, 8)}… are missing`);
  }
  heads[key] = { seq: header.seq, link: toHex(link) };
}

/** The chains of one author key among `heads`: each device's id and the last seq seen of it. */
export function chainsOf(heads: Heads, authorKey: Uint8Array): { deviceId: Uint8Array; lastSeq: number }[] {
  const prefix = `${toHex(authorKey)}:`;
  return Object.entries(heads)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, head]) => ({ deviceId: fromHex(key.slice(prefix.length), 16), lastSeq: head.seq }));
}
