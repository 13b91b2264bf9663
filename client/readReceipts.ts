// Signed read receipts (shared/readReceipt.ts), as a grantee's device writes them. A view writes
// one when it opens and whenever what it received grows (live pages coalesced), chained per device
// and grant, kept until the patient's log stored it (it travels as an upload's extra). The
// patient's devices check the chains in client/accessLog.ts.
import type { AccountKeys } from "../crypto/accountKeys.js";
import { fromBase64Url, fromHex, toBase64Url, toHex } from "../shared/bytes.js";
import { RequestRefused, ServerUnreachable } from "../shared/errors.js";
import {
  encodeReadReceipt,
  readReceiptLink,
  readReceiptSignedBytes,
  type HeadSeen,
  type ReceiptKind,
} from "../shared/readReceipt.js";
import { sodium } from "../crypto/sodium.js";
import type { DeviceSettings } from "./settings.js";

/** Live pages arriving within this long of each other share one receipt. */
export const RECEIPT_COALESCE_MS = 30_000;

export interface ReceiptWriterState {
  seq: number;
  link: string;
  cursor: number;
  /** Receipts signed and not yet stored by the patient's log, oldest first (base64url). */
  pending: string[];
}

/** A grantee's receipts for one view (one grant of one patient) on this device. */
export class ReceiptWriter {
  private readonly key: `receipts/${string}`;
  private timer?: ReturnType<typeof setTimeout>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: DeviceSettings,
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

  private async state(): Promise<ReceiptWriterState> {
    return (await this.settings.get(this.key)) ?? { seq: 0, link: toHex(new Uint8Array(32)), cursor: 0, pending: [] };
  }

  private async sign(
    state: ReceiptWriterState,
    kind: ReceiptKind,
    after: number,
    cursor: number,
  ): Promise<ReceiptWriterState> {
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
    const bytes = encodeReadReceipt({
      ...unsigned,
      signature: sodium().crypto_sign_detached(readReceiptSignedBytes(unsigned), this.reader.signSecretKey),
    });
    const next: ReceiptWriterState = {
      seq: unsigned.seq,
      link: toHex(readReceiptLink(bytes)),
      cursor,
      pending: [...state.pending, toBase64Url(bytes)],
    };
    await this.settings.put(this.key, next);
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
        if (
          error instanceof ServerUnreachable ||
          (error instanceof RequestRefused && (error.transient || error.reason === "chain_broken"))
        )
          return;
        // The grant ended: nobody will store it any more.
        if (!(error instanceof RequestRefused && error.status === 403)) throw error;
      }
      await this.settings.put(this.key, { ...state, pending: state.pending.slice(1) });
    }
  }
}
