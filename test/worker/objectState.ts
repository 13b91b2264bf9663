// What a refused request must not change, read through the objects themselves: every table of a
// PatientLog or Account (and its key-value storage), with the access log kept apart because
// refusals are appended to it by design.
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { AccessLogEntry } from "../../shared/accessLog.js";
import { verifyAccessLogChain } from "../../shared/accessLog.js";
import { toHex } from "../../shared/bytes.js";

/**
 * Tables a refused request may legitimately touch: the access log and the refusals tallied for it,
 * spent login nonces and the count of failed proofs. A new counter table belongs here.
 */
const VOLATILE = new Set(["access_log", "access_log_pending", "refusal_tally", "spent_nonces", "failed_logins"]);

export interface ObjectState {
  readonly tables: string;
  readonly accessLog: AccessLogEntry[];
  readonly pendingReads: number;
}

function cell(value: unknown): unknown {
  return value instanceof ArrayBuffer ? toHex(new Uint8Array(value)) : value;
}

export function readState(stub: DurableObjectStub): Promise<ObjectState> {
  return runInDurableObject(stub, async (_, state) => {
    const sql = state.storage.sql;
    const names = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .toArray()
      .map((r) => r.name)
      .filter((n) => !n.startsWith("_cf_") && !n.startsWith("sqlite_"));
    const dump: Record<string, string[]> = {};
    for (const name of names.filter((n) => !VOLATILE.has(n))) {
      dump[name] = sql
        .exec(`SELECT * FROM "${name}"`)
        .toArray()
        .map((row) => JSON.stringify(Object.entries(row).map(([k, v]) => [k, cell(v)])))
        .sort();
    }
    const kv = [...(await state.storage.list()).entries()].map(([k, v]) =>
      JSON.stringify([k, v instanceof ArrayBuffer ? cell(v) : v]),
    );
    const accessLog = names.includes("access_log")
      ? sql
          .exec<{
            seq: number;
            time: number;
            actor: string | null;
            action: string;
            details: string;
            prev_hash: string;
            hash: string;
          }>("SELECT * FROM access_log ORDER BY seq")
          .toArray()
          .map((r) => ({
            seq: r.seq,
            time: r.time,
            actor: r.actor,
            action: r.action as AccessLogEntry["action"],
            details: r.details,
            prevHash: r.prev_hash,
            hash: r.hash,
          }))
      : [];
    const pendingReads = names.includes("access_log_pending")
      ? sql.exec<{ n: number }>("SELECT count(*) AS n FROM access_log_pending").one().n
      : 0;
    return { tables: JSON.stringify({ dump, kv }), accessLog, pendingReads };
  });
}

/**
 * Asserts `after` is `before` except for what a refusal may add: access-log entries that continue
 * the chain and are refusals (or the flush of reads that were pending before).
 */
export function expectUnchanged(before: ObjectState, after: ObjectState, what: string): void {
  expect(after.tables, `${what}: stored state changed`).toBe(before.tables);
  expect(after.accessLog.slice(0, before.accessLog.length), `${what}: earlier access-log entries changed`).toEqual(
    before.accessLog,
  );
  const added = after.accessLog.slice(before.accessLog.length);
  const allowed = before.pendingReads > 0 ? ["refused", "pull", "socket.open"] : ["refused"];
  for (const entry of added)
    expect(allowed, `${what}: unexpected access-log entry ${entry.action} ${entry.details}`).toContain(entry.action);
  const last = before.accessLog.at(-1);
  verifyAccessLogChain(added, last ? { seq: last.seq, hash: last.hash } : undefined);
}
