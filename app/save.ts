// Every write goes to IndexedDB first (encrypted, into the outbox), then a sync is tried at once:
// online it sends the write; offline it fails fast and leaves the status bar showing the change
// waiting, and keepSynced sends it when the browser is back online.
import type { Patient } from "../client/index.js";
import type { StewardRecord } from "../shared/records.js";

export async function save(patient: Patient, records: readonly StewardRecord[]): Promise<void> {
  await patient.records.put(records);
  void patient.sync.sync().catch(() => undefined);
}
