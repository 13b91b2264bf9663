// Signed read receipts (shared/readReceipt.ts) that grantees' devices push to the patient's log, in
// arrival order. Each chain (reader key, reader device, grant) must continue from its last stored
// receipt; the patient's devices check the chains again and flag the holes a server leaves.
import { bytesEqual, toHex } from "../shared/bytes.js";
import { readReceiptLink, type ReadReceipt } from "../shared/readReceipt.js";
import { Refusal } from "./outcome.js";
import { blob, bytesOf } from "./sql.js";

export const RECEIPT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS receipts (
    n INTEGER PRIMARY KEY,
    reader_key BLOB NOT NULL,
    device_id BLOB NOT NULL,
    grant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    link BLOB NOT NULL,
    bytes BLOB NOT NULL,
    UNIQUE (reader_key, device_id, grant_id, seq)
  );
`;

export class ReceiptStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(RECEIPT_SCHEMA);
  }

  /** Stores a receipt that continues its chain; the same receipt again is a retry. Returns its position. */
  append(receipt: ReadReceipt, bytes: Uint8Array): number {
    const grantId = toHex(receipt.grantId);
    const last = this.sql
      .exec<{ n: number; seq: number; link: ArrayBuffer; bytes: ArrayBuffer }>(
        "SELECT n, seq, link, bytes FROM receipts WHERE reader_key = ? AND device_id = ? AND grant_id = ? ORDER BY seq DESC LIMIT 1",
        blob(receipt.readerKey),
        blob(receipt.readerDeviceId),
        grantId,
      )
      .toArray()[0];
    if (last && last.seq === receipt.seq && bytesEqual(bytesOf(last.bytes), bytes)) return last.n;
    const expected = { seq: (last?.seq ?? 0) + 1, link: last ? bytesOf(last.link) : new Uint8Array(32) };
    if (receipt.seq !== expected.seq || !bytesEqual(receipt.prevHash, expected.link)) {
      throw new Refusal(
        "chain_broken",
        `receipt ${receipt.seq} does not continue this device's receipts (expected ${expected.seq}): send them in order`,
      );
    }
    return this.sql
      .exec<{ n: number }>(
        "INSERT INTO receipts (reader_key, device_id, grant_id, seq, link, bytes) VALUES (?, ?, ?, ?, ?, ?) RETURNING n",
        blob(receipt.readerKey),
        blob(receipt.readerDeviceId),
        grantId,
        receipt.seq,
        blob(readReceiptLink(bytes)),
        blob(bytes),
      )
      .one().n;
  }

  read(after: number, limit: number): { n: number; receipt: Uint8Array }[] {
    return this.sql
      .exec<{ n: number; bytes: ArrayBuffer }>(
        "SELECT n, bytes FROM receipts WHERE n > ? ORDER BY n LIMIT ?",
        after,
        limit,
      )
      .toArray()
      .map((r) => ({ n: r.n, receipt: bytesOf(r.bytes) }));
  }
}
