// Every write goes to IndexedDB first (encrypted, into the outbox), then a sync is tried at once:
// online it sends the write; offline it fails fast and leaves the status bar showing the change
// waiting, and the sync engine sends it when the network is back. The target is the patient's
// own store, or a grantee's view under a write grant.
import type { RecordStore, StewardRecord, SyncEngine } from "../client/index.js";

export interface Writable {
  readonly records: RecordStore;
  readonly sync: SyncEngine;
}

export async function save(target: Writable, records: readonly StewardRecord[]): Promise<void> {
  await target.records.put(records);
  void target.sync.sync().catch(() => undefined);
}
