// Appends to and reads the patient's hash-chained access log (entry format: shared/accessLog.ts).
//
// Repeated identical grantee reads (a clinician app polling, a caregiver's socket reconnecting) and
// repeated identical refusals (an app still polling after its grant ended) are coalesced so polling
// cannot grow the log without bound: the first read opens a pending entry, the
// same reader repeating the same read within ACCESS_LOG_COALESCE_MS of the first only counts into
// it, and the pending entry joins the chain as one ordinary entry (dated at the first read) when
// anything else is logged, when a read arrives after the window, or when the patient reads the log. Entries in the chain are never rewritten, so every
// (seq, hash) a client has seen stays valid.
import {
  ACCESS_LOG_ZERO_HASH,
  accessLogEntryHash,
  type AccessAction,
  type AccessLogEntry,
} from "../shared/accessLog.js";

export const ACCESS_LOG_COALESCE_MS = 10 * 60_000;

type Details = Record<string, unknown>;

/** Summed when reads coalesce; `after` keeps the first read's value; every other field the latest. */
const SUMMED = new Set(["count", "times"]);

function mergeRepeat(pending: Details, next: Details): Details {
  const merged = { ...pending };
  for (const [key, value] of Object.entries(next)) {
    if (SUMMED.has(key)) merged[key] = Number(pending[key] ?? 0) + Number(value);
    else if (key !== "after") merged[key] = value;
  }
  return merged;
}

interface Pending {
  readonly key: string;
  readonly actor: string | null;
  readonly action: AccessAction;
  readonly time: number;
  readonly details: Details;
}

export class AccessLogStore {
  constructor(private readonly sql: SqlStorage) {}

  append(actor: string | null, action: AccessAction, details: Details, time = Date.now()): AccessLogEntry {
    this.flush();
    return this.chain(actor, action, JSON.stringify(details), time);
  }

  /**
   * Logs a read that may repeat: `identity` says what makes two reads the same (besides reader and
   * action: grants, filter); a repeat within the window is merged into the pending entry, counting
   * `times` and summing `count`, instead of appended.
   */
  coalesce(actor: string | null, action: AccessAction, identity: Details, details: Details, time = Date.now()): void {
    const key = JSON.stringify([actor, action, identity]);
    const pending = this.pending();
    if (pending && pending.key === key && time - pending.time < ACCESS_LOG_COALESCE_MS) {
      this.sql.exec(
        "UPDATE access_log_pending SET details = ?",
        JSON.stringify(mergeRepeat(pending.details, { ...details, times: 1, lastTime: time })),
      );
      return;
    }
    this.flush();
    this.sql.exec(
      "INSERT INTO access_log_pending (key, actor, action, time, details) VALUES (?, ?, ?, ?, ?)",
      key,
      actor,
      action,
      time,
      JSON.stringify({ ...identity, ...details, times: 1, lastTime: time }),
    );
  }

  /** Entries after `after`, with any pending read first written to the chain so the patient sees it. */
  read(after: number, limit: number): AccessLogEntry[] {
    this.flush();
    return this.sql
      .exec<{
        seq: number;
        time: number;
        actor: string | null;
        action: string;
        details: string;
        prev_hash: string;
        hash: string;
      }>("SELECT * FROM access_log WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
      .toArray()
      .map((r) => ({
        seq: r.seq,
        time: r.time,
        actor: r.actor,
        action: r.action as AccessAction,
        details: r.details,
        prevHash: r.prev_hash,
        hash: r.hash,
      }));
  }

  private flush(): void {
    const pending = this.pending();
    if (!pending) return;
    this.sql.exec("DELETE FROM access_log_pending");
    this.chain(pending.actor, pending.action, JSON.stringify(pending.details), pending.time);
  }

  private pending(): Pending | null {
    const row = this.sql
      .exec<{ key: string; actor: string | null; action: string; time: number; details: string }>(
        "SELECT * FROM access_log_pending",
      )
      .toArray()[0];
    return row
      ? {
          key: row.key,
          actor: row.actor,
          action: row.action as AccessAction,
          time: row.time,
          details: JSON.parse(row.details) as Details,
        }
      : null;
  }

  private chain(actor: string | null, action: AccessAction, details: string, time: number): AccessLogEntry {
    const last = this.sql
      .exec<{ seq: number; hash: string }>("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
      .toArray()[0];
    const body = {
      seq: (last?.seq ?? 0) + 1,
      time,
      actor,
      action,
      details,
      prevHash: last?.hash ?? ACCESS_LOG_ZERO_HASH,
    };
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
}
