// The patient's view of who opened what, when: the server's access log, its hash chain checked
// and checked to continue what this device saw last time, beside the grantees' signed read
// receipts (client/readReceipts.ts writes them), whose chains are checked per reader device and
// grant. A server that drops or edits entries raises a security error; receipts it hid show as holes.
import { type AccessLogEntry, verifyAccessLogChain } from "../shared/accessLog.js";
import { verifyMessage } from "../crypto/accountKeys.js";
import { bytesEqual, toHex } from "../shared/bytes.js";
import { RollbackDetected } from "../shared/errors.js";
import { accountIdOf } from "../shared/keyBundle.js";
import {
  decodeReadReceipt,
  readReceiptLink,
  readReceiptSignedBytes,
  type ReadReceipt,
  type ReceiptKind,
} from "../shared/readReceipt.js";
import type { ServerApi } from "./api/serverApi.js";
import type { HeadTracker } from "./heads.js";
import type { DeviceSettings } from "./settings.js";

/** The server serves pages of this many; a shorter one is the last. */
const PAGE = 1000;

export interface AccessEvent {
  /** Its place in the server's log, or in its reader device's chain of receipts. */
  readonly seq: number;
  readonly at: number;
  readonly actor: { readonly accountId: string | null; readonly handle?: string };
  /** What the server logged, or "open" / "read" from a grantee device's signed receipt. */
  readonly action: AccessLogEntry["action"] | ReceiptKind;
  readonly details: Record<string, unknown>;
  /**
   * Who vouches for it: "server" for what the server logged (its word only: it could leave entries
   * out), "reader" for a receipt the grantee's own device signed.
   */
  readonly witness: "server" | "reader";
  /** Receipts of the same reader device that the server did not serve, before this one: a hole it left. */
  readonly missingReceipts?: { readonly from: number; readonly to: number };
  /**
   * The heads this reader's device echoed were behind what your devices had written by this time,
   * by more than the heartbeat bound: the server was showing that reader older data.
   */
  readonly shownOlderThan?: number;
}

/** What the access log is read with: the patient's session, what was seen before, and names. */
export interface AccessLogSource {
  readonly api: ServerApi;
  readonly patientId: string;
  readonly settings: DeviceSettings;
  /** The heads this device saw, to compare with what a reader was shown. */
  readonly heads: Pick<HeadTracker, "echoed">;
  /** The handle to show for an account, where known. */
  handleOf(accountId: string): string | undefined;
  /** The grantee signing key of each grant the patient issued, by grant id (hex). */
  granteeKeys(): Promise<Map<string, Uint8Array>>;
}

/** The access log and the read receipts, checked, in time order. */
export async function accessEvents(source: AccessLogSource): Promise<AccessEvent[]> {
  const entries: AccessLogEntry[] = [];
  for (;;) {
    const page = await source.api.accessLog(source.patientId, entries.at(-1)?.seq ?? 0);
    entries.push(...page);
    if (page.length < PAGE) break;
  }
  const head = verifyAccessLogChain(entries);
  const seen = await source.settings.get("accessLogHead");
  if (seen) {
    const same = entries.find((e) => e.seq === seen.seq);
    if (!same || same.hash !== seen.hash)
      throw new RollbackDetected(
        `the access log no longer contains entry ${seen.seq} as this device saw it: it was cut short or rewritten`,
      );
  }
  const receipts = await checkedReceipts(source);
  await source.settings.put("accessLogHead", head);
  const actor = (accountId: string | null) => {
    const handle = accountId === null ? undefined : source.handleOf(accountId);
    return handle === undefined ? { accountId } : { accountId, handle };
  };
  const logged = entries.map((e): AccessEvent => {
    let details: Record<string, unknown> = {};
    try {
      details = JSON.parse(e.details) as Record<string, unknown>;
    } catch {
      details = { text: e.details };
    }
    return { seq: e.seq, at: e.time, actor: actor(e.actor), action: e.action, details, witness: "server" };
  });
  const read: AccessEvent[] = [];
  for (const { receipt: r, missingBefore } of receipts) {
    // What the reader was shown, against what this device saw: a fork, or data kept from it.
    const shownOlderThan = await source.heads.echoed(r.heads, r.time);
    read.push({
      seq: r.seq,
      at: r.time,
      actor: actor(toHex(accountIdOf(r.readerKey))),
      action: r.kind,
      details: {
        grantId: toHex(r.grantId),
        device: toHex(r.readerDeviceId),
        after: r.after,
        cursor: r.cursor,
        count: r.count,
      },
      witness: "reader",
      ...(missingBefore ? { missingReceipts: missingBefore } : {}),
      ...(shownOlderThan !== undefined ? { shownOlderThan } : {}),
    });
  }
  return [...logged, ...read].sort((a, b) => a.at - b.at);
}

/** Every receipt the log holds, checked against the grants' grantee keys and the chains seen before. */
async function checkedReceipts(source: AccessLogSource): Promise<CheckedReceipt[]> {
  const encoded: Uint8Array[] = [];
  for (let after = 0; ; ) {
    const page = await source.api.receipts(source.patientId, after);
    encoded.push(...page.map((p) => p.receipt));
    if (page.length < PAGE) break;
    after = page.at(-1)!.n;
  }
  const keys = await source.granteeKeys();
  const seen = (await source.settings.get("receiptChains")) ?? {};
  const { receipts, chains } = checkReceipts(encoded, source.patientId, (grantId) => keys.get(grantId), seen);
  await source.settings.put("receiptChains", chains);
  return receipts;
}

/** A verified receipt, with the holes found before it in its chain. */
interface CheckedReceipt {
  readonly receipt: ReadReceipt;
  /** Receipts of this chain the server did not serve before this one: seqs from..to. */
  readonly missingBefore?: { readonly from: number; readonly to: number };
}

interface ChainHead {
  readonly seq: number;
  readonly link: string;
  /** The receipts of the chain up to `seq` that were missing when this device read it (from, to). */
  readonly holes?: readonly (readonly [number, number])[];
}

export type ReceiptChains = Record<string, ChainHead>;

function receiptChain(r: Pick<ReadReceipt, "readerKey" | "readerDeviceId" | "grantId">): string {
  return `${toHex(r.readerKey)}:${toHex(r.readerDeviceId)}:${toHex(r.grantId)}`;
}

/**
 * Checks every receipt the patient's log served, in its order: each must be signed by the grantee
 * key of the grant it names (`granteeKey`; others are refused and counted), and the chains must
 * contain every receipt this device saw before (`seen`, with the holes it had), or the server
 * rolled them back or removed one. A chain that
 * jumps has a hole: the server hid receipts, reported with the receipt after it. Returns the
 * receipts and the chain heads to keep.
 */
export function checkReceipts(
  encoded: readonly Uint8Array[],
  patientId: string,
  granteeKey: (grantId: string) => Uint8Array | undefined,
  seen: ReceiptChains,
): { receipts: CheckedReceipt[]; chains: ReceiptChains; refused: number } {
  const links = new Map<string, Map<number, string>>();
  const chains: ReceiptChains = {};
  const receipts: CheckedReceipt[] = [];
  let refused = 0;
  for (const bytes of encoded) {
    let receipt: ReadReceipt;
    try {
      receipt = decodeReadReceipt(bytes);
      const key = granteeKey(toHex(receipt.grantId));
      if (toHex(receipt.patientId) !== patientId || !key || !bytesEqual(key, receipt.readerKey))
        throw new Error("not a receipt of this patient's grantee");
      verifyMessage(receipt.signature, readReceiptSignedBytes(receipt), receipt.readerKey, "read receipt");
    } catch {
      refused++;
      continue;
    }
    const chain = receiptChain(receipt);
    const head = chains[chain] ?? { seq: 0, link: toHex(new Uint8Array(32)) };
    if (receipt.seq <= head.seq)
      throw new RollbackDetected(
        `a read receipt was served again or out of order (receipt ${receipt.seq} after ${head.seq}): the server replayed or reordered the receipts`,
      );
    if (receipt.seq === head.seq + 1 && toHex(receipt.prevHash) !== head.link)
      throw new RollbackDetected(
        `read receipt ${receipt.seq} does not continue the one before it: the server changed the receipts`,
      );
    const hole = receipt.seq > head.seq + 1 ? ([head.seq + 1, receipt.seq - 1] as const) : undefined;
    receipts.push(hole ? { receipt, missingBefore: { from: hole[0], to: hole[1] } } : { receipt });
    const link = toHex(readReceiptLink(bytes));
    const holes = [...(head.holes ?? []), ...(hole ? [hole] : [])];
    chains[chain] = { seq: receipt.seq, link, ...(holes.length > 0 ? { holes } : {}) };
    if (!links.has(chain)) links.set(chain, new Map());
    links.get(chain)!.set(receipt.seq, link);
  }
  for (const [chain, head] of Object.entries(seen)) {
    if (links.get(chain)?.get(head.seq) !== head.link)
      throw new RollbackDetected(
        `the receipts no longer hold read receipt ${head.seq} of a grantee's device as this device saw it: the server removed or rewrote it`,
      );
    // A hole where this device read a receipt before: the server removed it since.
    const wasMissing = (n: number) => (head.holes ?? []).some(([from, to]) => n >= from && n <= to);
    for (const [from, to] of chains[chain]?.holes ?? []) {
      for (let n = from; n <= Math.min(to, head.seq); n++)
        if (!wasMissing(n))
          throw new RollbackDetected(
            `the receipts no longer hold read receipt ${n} of a grantee's device, which this device saw: the server removed it`,
          );
    }
  }
  return { receipts, chains, refused };
}
