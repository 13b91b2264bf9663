// Every write goes to IndexedDB first (encrypted, into the outbox), then a sync is tried at once:
// online it sends the write; offline it fails fast and leaves the status bar showing the change
// waiting, and keepSynced sends it when the browser is back online. The target is the patient's
// own store, or a grantee's view under a write grant.
import type { RecordStore, StewardRecord, SyncEngine } from "../client/index.js";
import { syncNow } from "./syncActivity.js";

export interface Writable {
  readonly records: RecordStore;
  readonly sync: SyncEngine;
}

export async function save(target: Writable, records: readonly StewardRecord[]): Promise<void> {
  await target.records.put(records);
  void syncNow(target.sync).catch(() => undefined);
}
