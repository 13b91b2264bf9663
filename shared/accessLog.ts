// The patient's access log: every grant change, grantee pull and socket, and refused request, in a
// hash chain the patient's devices check, so an edited, reordered or cut-out entry is noticed.
//
//   hash = labelledHash("steward/access-log/v1", u64 seq ‖ u64 time ‖ actor 16 (zeros: none)
//                       ‖ u32 len ‖ action utf8 ‖ u32 len ‖ details utf8 ‖ prevHash 32)
//   the first entry (seq 1) has prevHash = 32 zero bytes.
//
// `details` is kept as the exact JSON text that was hashed, so re-serialising can never break a link.
// The chain shows tampering inside what was served; a server cutting off the newest entries is caught
// by the client remembering the last (seq, hash) it saw and asking for the log after it.
import { z } from "zod";
import { ByteWriter, bytesEqual, fromHex, toHex, utf8 } from "./bytes.js";
import { ChainBroken, GapDetected, MalformedInput, RollbackDetected } from "./errors.js";
import { labelledHash } from "./hash.js";

export const ACCESS_LOG_HASH_LABEL = "steward/access-log/v1";
export const ACCESS_LOG_ZERO_HASH = toHex(new Uint8Array(32));

export const ACCESS_ACTIONS = [
  "grant.create",
  "grant.update",
  "grant.revoke",
  "grant.revokeAll",
  "grant.expire",
  "push",
  "pull",
  "socket.open",
  "refused",
] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));

export const accessLogEntrySchema = z.object({
  seq: z.number().int().min(1),
  time: z.number().int().min(0),
  /** Hex account id of who acted, or null when no account was proven. */
  actor: hex(16).nullable(),
  action: z.enum(ACCESS_ACTIONS),
  details: z.string(),
  prevHash: hex(32),
  hash: hex(32),
});
export type AccessLogEntry = z.infer<typeof accessLogEntrySchema>;

export function accessLogEntryHash(entry: Omit<AccessLogEntry, "hash">): string {
  const bytes = new ByteWriter(128 + entry.details.length)
    .u64(entry.seq)
    .u64(entry.time)
    .fixed(entry.actor === null ? new Uint8Array(16) : fromHex(entry.actor, 16, "actor"), 16, "actor")
    .bytes(utf8(entry.action))
    .bytes(utf8(entry.details))
    .fixed(fromHex(entry.prevHash, 32, "prevHash"), 32, "prevHash")
    .finish();
  return toHex(labelledHash(ACCESS_LOG_HASH_LABEL, bytes));
}

export interface ChainPoint {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Checks that `entries` continue the chain from `from` (the last entry the client already trusts, or
 * the start) without a hole, and that every hash is right. Returns the new last point.
 */
export function verifyAccessLogChain(
  entries: readonly AccessLogEntry[],
  from: ChainPoint = { seq: 0, hash: ACCESS_LOG_ZERO_HASH },
): ChainPoint {
  let last = from;
  for (const entry of entries) {
    if (typeof entry.details !== "string" || typeof entry.prevHash !== "string" || typeof entry.hash !== "string")
      throw new MalformedInput(`access log entry ${entry.seq} is malformed`);
    if (entry.seq <= last.seq)
      throw new RollbackDetected(
        `access log entry ${entry.seq} is not after ${last.seq}: the server served old or reordered entries`,
      );
    if (entry.seq !== last.seq + 1)
      throw new GapDetected(`access log jumps from entry ${last.seq} to ${entry.seq}: entries are missing`);
    if (!bytesEqual(utf8(entry.prevHash), utf8(last.hash)))
      throw new ChainBroken(`access log entry ${entry.seq} does not link to entry ${last.seq}`);
    const { hash, ...body } = entry;
    if (accessLogEntryHash(body) !== hash)
      throw new ChainBroken(`access log entry ${entry.seq} was altered (its hash does not match)`);
    last = { seq: entry.seq, hash };
  }
  return last;
}
