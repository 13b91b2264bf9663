// The SDK's public surface: the two kinds of device, the record model, the errors to catch, and
// the clinical helpers (imports, metrics, exports) that work on a device's records.
export { Patient, type AccessEvent, type InviteOptions, type ShareOptions } from "./patient.js";
export { Grantee, SharedView, type Share } from "./grantee.js";
export { roleOnDevice, type LinkRequest, type OpenOptions, type Role } from "./accountDevice.js";
export type { StorageOptions } from "./store/database.js";
export type { Contact } from "./contacts.js";
export type { GrantInfo, GrantStatus } from "./grantInfo.js";
export type { RecordQuery } from "./store/recordStore.js";
export type { SyncStatus } from "./sync/syncEngine.js";
export { SCOPES, SCOPE_LABELS, type Scope, type StewardRecord } from "../shared/records.js";
export * from "../shared/errors.js";
export { importFile, type ImportSummary } from "./import/importFile.js";
export { consensusMetrics, IGLU_OPTIONS, type ConsensusMetrics, type GlucoseSample } from "./metrics/consensus.js";
export { agpProfile } from "./metrics/agp.js";
export { recordsInGrant } from "./export/grantRange.js";
export { toFhirBundle } from "./export/fhir.js";
export { toNightscoutEntries } from "./export/nightscoutEntries.js";
export { buildReport } from "./export/report.js";
export { openReport, sealReport } from "./export/reportFile.js";
