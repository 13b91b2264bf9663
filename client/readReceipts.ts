// Signed read receipts (shared/readReceipt.ts). A grantee's view writes one when it opens and
// whenever what it received grows (live pages coalesced), chained per device and grant, kept until
// the patient's log stored it (it travels as an upload's extra). The patient's devices check every chain: a receipt
// that does not verify is refused, one missing from a chain is reported as a hole.
import { verifyMessage, type AccountKeys } from "../shared/accountKeys.js";
import { bytesEqual, fromBase64Url, fromHex, toBase64Url, toHex } from "../shared/bytes.js";
import { RequestRefused, RollbackDetected, ServerUnreachable } from "../shared/errors.js";
import { decodeReadReceipt, encodeReadReceipt, readReceiptLink, readReceiptSignedBytes, type HeadSeen, type ReadReceipt, type ReceiptKind } from "../shared/readReceipt.js";
import { sodium } from "../shared/sodium.js";
import type { StewardDatabase } from "./store/database.js";

/** Live pages arriving within this long of each other share one receipt. */
export const RECEIPT_COALESCE_MS = 30_000;

interface WriterState {
  seq: number;
  link: string;
  cursor: number;
  /** Receipts signed and not yet stored by the patient's log, oldest first (base64url). */
  pending: string[];
}

/** A grantee's receipts for one view (one grant of one patient) on this device. */
export class ReceiptWriter {
  private readonly key: string;
  private timer?: ReturnType<typeof setTimeout>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: StewardDatabase,
    /** Sends one receipt to the patient's log (an upload of extras alone). */
    private readonly deliver: (receipt: Uint8Array) => Promise<unknown>,
    private readonly reader: AccountKeys,
    private readonly deviceId: Uint8Array,
    private readonly patientId: string,
    private readonly grantId: string,
    /** How far this view has received (its cursor), and how many envelopes it holds in a range. */
    private readonly progress: { cursor(): Promise<number>; count(after: number, cursor: number): Promise<number> },
    /** The writers' heads this view was last shown. */
    private readonly headsSeen: () => Promise<readonly HeadSeen[]>,
  ) {
    this.key = `receipts/${patientId}/${grantId}`;
  }

  /**
   * The view was opened: a receipt for what it received last time and had no receipt yet (the
   * app closed before it went out), then one for the opening, sent at once.
   */
  opened(): Promise<void> {
    return this.serial(async () => {
      const cursor = await this.progress.cursor();
      let state = await this.state();
      if (cursor > state.cursor) state = await this.sign(state, "read", state.cursor, cursor);
      await this.sign(state, "open", cursor, cursor);
      await this.send();
    });
  }

  /** The view received more; the receipt waits a little for more pages to join it. */
  received(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined);
    }, RECEIPT_COALESCE_MS);
  }

  /** Signs a receipt for what was received since the last one, if anything, and sends what waits. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.serial(async () => {
      const state = await this.state();
      const cursor = await this.progress.cursor();
      if (cursor > state.cursor) await this.sign(state, "read", state.cursor, cursor);
      await this.send();
    });
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async state(): Promise<WriterState> {
    return ((await this.db.settings.get(this.key)) as WriterState | undefined) ?? { seq: 0, link: toHex(new Uint8Array(32)), cursor: 0, pending: [] };
  }

  private async sign(state: WriterState, kind: ReceiptKind, after: number, cursor: number): Promise<WriterState> {
    const unsigned = {
      patientId: fromHex(this.patientId, 16),
      grantId: fromHex(this.grantId, 16),
      readerKey: this.reader.signKey,
      readerDeviceId: this.deviceId,
      seq: state.seq + 1,
      prevHash: fromHex(state.link, 32),
      time: Date.now(),
      kind,
      after,
      cursor,
      count: kind === "read" ? await this.progress.count(after, cursor) : 0,
      heads: await this.headsSeen(),
    };
    const bytes = encodeReadReceipt({ ...unsigned, signature: sodium().crypto_sign_detached(readReceiptSignedBytes(unsigned), this.reader.signSecretKey) });
    const next: WriterState = { seq: unsigned.seq, link: toHex(readReceiptLink(bytes)), cursor, pending: [...state.pending, toBase64Url(bytes)] };
    await this.db.settings.put(next, this.key);
    return next;
  }

  /** Sends waiting receipts in order; offline, they wait for the next time. */
  private async send(): Promise<void> {
    for (;;) {
      const state = await this.state();
      const first = state.pending[0];
      if (!first) return;
      try {
        await this.deliver(fromBase64Url(first, "receipt"));
      } catch (error) {
        if (error instanceof ServerUnreachable || (error instanceof RequestRefused && (error.transient || error.reason === "chain_broken"))) return;
        // The grant ended: nobody will store it any more.
        if (!(error instanceof RequestRefused && error.status === 403)) throw error;
      }
      await this.db.settings.put({ ...state, pending: state.pending.slice(1) }, this.key);
    }
  }
}

/** A verified receipt, with the holes found before it in its chain. */
export interface CheckedReceipt {
  readonly receipt: ReadReceipt;
  /** Receipts of this chain the server did not serve before this one: seqs from..to. */
  readonly missingBefore?: { readonly from: number; readonly to: number };
}

export interface ChainHead {
  readonly seq: number;
  readonly link: string;
}

export type ReceiptChains = Record<string, ChainHead>;

export function receiptChain(r: Pick<ReadReceipt, "readerKey" | "readerDeviceId" | "grantId">): string {
  return `${toHex(r.readerKey)}:${toHex(r.readerDeviceId)}:${toHex(r.grantId)}`;
}

/**
 * Checks every receipt the patient's log served, in its order: each must be signed by the grantee
 * key of the grant it names (`granteeKey`; others are refused and counted), and the chains must
 * contain every receipt this device saw before (`seen`), or the server rolled them back. A chain that
 * jumps has a hole: the server hid receipts, reported with the receipt after it. Returns the
 * receipts and the chain heads to keep.
 */
export function checkReceipts(encoded: readonly Uint8Array[], patientId: string, granteeKey: (grantId: string) => Uint8Array | undefined, seen: ReceiptChains): { receipts: CheckedReceipt[]; chains: ReceiptChains; refused: number } {
  const links = new Map<string, Map<number, string>>();
  const chains: ReceiptChains = {};
  const receipts: CheckedReceipt[] = [];
  let refused = 0;
  for (const bytes of encoded) {
    let receipt: ReadReceipt;
    try {
      receipt = decodeReadReceipt(bytes);
      const key = granteeKey(toHex(receipt.grantId));
      if (toHex(receipt.patientId) !== patientId || !key || !bytesEqual(key, receipt.readerKey)) throw new Error("not a receipt of this patient's grantee");
      verifyMessage(receipt.signature, readReceiptSignedBytes(receipt), receipt.readerKey, "read receipt");
    } catch {
      refused++;
      continue;
    }
    const chain = receiptChain(receipt);
    const head = chains[chain] ?? { seq: 0, link: toHex(new Uint8Array(32)) };
    if (receipt.seq <= head.seq) throw new RollbackDetected(`a read receipt was served again or out of order (receipt ${receipt.seq} after ${head.seq}): the server replayed or reordered the receipts`);
    if (receipt.seq === head.seq + 1 && toHex(receipt.prevHash) !== head.link) throw new RollbackDetected(`read receipt ${receipt.seq} does not continue the one before it: the server changed the receipts`);
    receipts.push(receipt.seq > head.seq + 1 ? { receipt, missingBefore: { from: head.seq + 1, to: receipt.seq - 1 } } : { receipt });
    const link = toHex(readReceiptLink(bytes));
    chains[chain] = { seq: receipt.seq, link };
    if (!links.has(chain)) links.set(chain, new Map());
    links.get(chain)!.set(receipt.seq, link);
  }
  for (const [chain, head] of Object.entries(seen)) {
    if (links.get(chain)?.get(head.seq) !== head.link) throw new RollbackDetected(`the receipts no longer hold read receipt ${head.seq} of a grantee's device as this device saw it: the server removed or rewrote it`);
  }
  return { receipts, chains, refused };
}
