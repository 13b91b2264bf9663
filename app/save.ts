// Every write goes to IndexedDB first (encrypted, into the outbox) and is then pushed if the
// browser is online; offline, the sync status shows it waiting and the "online" event sends it.
import type { Patient } from "../client/index.js";
import type { StewardRecord } from "../shared/records.js";

export async function save(patient: Patient, records: readonly StewardRecord[]): Promise<void> {
  await patient.records.put(records);
  if (navigator.onLine) void patient.sync.sync().catch(() => undefined);
}
