// Appends to and reads the patient's hash-chained access log (entry format: shared/accessLog.ts).
import { ACCESS_LOG_ZERO_HASH, accessLogEntryHash, type AccessAction, type AccessLogEntry } from "../shared/accessLog.js";

export class AccessLogStore {
  constructor(private readonly sql: SqlStorage) {}

  append(actor: string | null, action: AccessAction, details: Record<string, unknown>, time = Date.now()): AccessLogEntry {
    const last = this.sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1").toArray()[0];
    const body = { seq: (last?.seq ?? 0) + 1, time, actor, action, details: JSON.stringify(details), prevHash: last?.hash ?? ACCESS_LOG_ZERO_HASH };
    const entry = { ...body, hash: accessLogEntryHash(body) };
    this.sql.exec(
      "INSERT INTO access_log (seq, time, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
      entry.seq,
      entry.time,
      entry.actor,
      entry.action,
      entry.details,
      entry.prevHash,
      entry.hash,
    );
    return entry;
  }

  read(after: number, limit: number): AccessLogEntry[] {
    return this.sql
      .exec<{ seq: number; time: number; actor: string | null; action: string; details: string; prev_hash: string; hash: string }>(
        "SELECT * FROM access_log WHERE seq > ? ORDER BY seq LIMIT ?",
        after,
        limit,
      )
      .toArray()
      .map((r) => ({ seq: r.seq, time: r.time, actor: r.actor, action: r.action as AccessAction, details: r.details, prevHash: r.prev_hash, hash: r.hash }));
  }
}
