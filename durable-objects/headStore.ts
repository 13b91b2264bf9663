// The latest signed head (shared/signedHead.ts) of every writer of one patient log. A head is kept
// only if it names the writer's last stored envelope and is newer than the one it replaces, so an
// honest object serves every reader each writer's true position, with every pull and socket page.
import { bytesEqual } from "../shared/bytes.js";
import type { SignedHead } from "../shared/signedHead.js";
import { Refusal } from "./outcome.js";
import { blob, bytesOf } from "./sql.js";

export const HEAD_SCHEMA = `
  CREATE TABLE IF NOT EXISTS heads (
    author_key BLOB NOT NULL,
    device_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    time INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (author_key, device_id)
  );
`;

export class HeadStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(HEAD_SCHEMA);
  }

  /**
   * Keeps `head` as its writer's latest. `chain` is where the object's own copy of that writer's
   * chain ends (seq 0 and a zero link before its first envelope): a head must name exactly that.
   */
  put(head: SignedHead, bytes: Uint8Array, chain: { seq: number; link: Uint8Array }): void {
    if (head.seq !== chain.seq || !bytesEqual(head.link, chain.link)) {
      throw new Refusal(
        "conflict",
        `the head names envelope ${head.seq} of its device, but the log holds up to ${chain.seq} of it: push the envelopes first`,
      );
    }
    const stored = this.sql
      .exec<{ seq: number; time: number; bytes: ArrayBuffer }>(
        "SELECT seq, time, bytes FROM heads WHERE author_key = ? AND device_id = ?",
        blob(head.authorKey),
        blob(head.deviceId),
      )
      .toArray()[0];
    if (stored && bytesEqual(bytesOf(stored.bytes), bytes)) return;
    if (stored && head.time <= stored.time) throw new Refusal("conflict", "this device already stored a newer head");
    this.sql.exec(
      "INSERT INTO heads (author_key, device_id, seq, time, bytes) VALUES (?, ?, ?, ?, ?) ON CONFLICT (author_key, device_id) DO UPDATE SET seq = excluded.seq, time = excluded.time, bytes = excluded.bytes",
      blob(head.authorKey),
      blob(head.deviceId),
      head.seq,
      head.time,
      blob(bytes),
    );
  }

  /** Every writer's latest head, encoded. */
  all(): Uint8Array[] {
    return this.sql
      .exec<{ bytes: ArrayBuffer }>("SELECT bytes FROM heads ORDER BY author_key, device_id")
      .toArray()
      .map((r) => bytesOf(r.bytes));
  }
}
