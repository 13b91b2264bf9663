// What the rows of a cold open cost in IndexedDB alone (no crypto, no Yjs): written one transaction
// per row as ShardStore.ingest does, or in one bulk transaction; read back one shard per query as
// RecordStore.query does, or with one range read; and the distinct hours of a range found with a key
// cursor (uniqueKeys, as ShardStore.hoursWithData does). The gaps are what batching would save.
import { performance } from "node:perf_hooks";
import { StewardDatabase, type StoredEnvelope } from "../client/store/database.js";
import { since } from "./stats.js";

export interface StorageFloor {
  readonly rows: number;
  readonly addEachMs: number;
  readonly bulkAddMs: number;
  readonly shards: number;
  readonly readEachShardMs: number;
  readonly readRangeMs: number;
  /** The distinct hours of each scope's range through uniqueKeys: one cursor step per key. */
  readonly uniqueHoursMs: number;
}

export async function storageFloor(rows: readonly StoredEnvelope[]): Promise<StorageFloor> {
  const each = new StewardDatabase(`bench-floor-each-${Date.now()}`);
  let start = performance.now();
  for (const row of rows) await each.transaction("rw", each.envelopes, () => each.envelopes.add(row));
  const addEachMs = since(start);
  const bulk = new StewardDatabase(`bench-floor-bulk-${Date.now()}`);
  start = performance.now();
  await bulk.transaction("rw", bulk.envelopes, () => bulk.envelopes.bulkAdd([...rows]));
  const bulkAddMs = since(start);

  const shards = [...new Map(rows.map((r) => [`${r.tag}:${r.hour}`, [r.patient, r.tag, r.hour] as const])).values()];
  start = performance.now();
  for (const key of shards) await each.envelopes.where("[patient+tag+hour]").equals([...key]).toArray();
  const readEachShardMs = since(start);
  const tags = [...new Set(rows.map((r) => r.tag))];
  const patient = rows[0]?.patient ?? "";
  const [first, last] = [Math.min(...rows.map((r) => r.hour)), Math.max(...rows.map((r) => r.hour))];
  const range = (tag: string) => each.envelopes.where("[patient+tag+hour]").between([patient, tag, first], [patient, tag, last], true, true);
  start = performance.now();
  for (const tag of tags) await range(tag).toArray();
  const readRangeMs = since(start);
  start = performance.now();
  for (const tag of tags) await range(tag).uniqueKeys();
  const uniqueHoursMs = since(start);
  each.close();
  bulk.close();
  return { rows: rows.length, addEachMs, bulkAddMs, shards: shards.length, readEachShardMs, readRangeMs, uniqueHoursMs };
}
