// The SDK's public surface: the two kinds of device, the record model, the errors to catch, and
// the clinical helpers (imports, metrics, exports) that work on a device's records.
export { Patient } from "./patient.js";
export type { ShareOptions } from "./issuedGrants.js";
export type { AccessEvent } from "./accessLog.js";
export type { InviteOptions, OpenInvite } from "./invites.js";
export type { KeepEntry } from "./grantOptions.js";
export { PLACEMENTS, type Placement } from "../shared/placement.js";
export { Grantee, type Share } from "./grantee.js";
export { SharedView, type ShareOwner, type SharedViewOptions } from "./sharedView.js";
export { roleOnDevice, type OpenOptions, type Role } from "./accountSetup.js";
export type { DeviceInfo } from "./accountDevice.js";
export type { LinkApproval, LinkRequest } from "./deviceLink.js";
export type { StorageOptions } from "./store/database.js";
export type { Contact } from "./contacts.js";
export { parseInviteUrl, type InviteLink } from "./inviteLink.js";
export type { GrantInfo, GrantStatus } from "./grantInfo.js";
export type { RecordQuery, RecordStore } from "./store/recordStore.js";
export type { LiveResult } from "./store/liveQuery.js";
export type { GrantEnd, SyncEngine, SyncStatus } from "./sync/syncEngine.js";
export {
  MGDL_PER_MMOLL,
  MS_PER_HOUR,
  parseRecord,
  SCOPE_LABELS,
  SCOPE_OF,
  SCOPES,
  TRENDS,
  type RecordOf,
  type Scope,
  type StewardRecord,
} from "../shared/records.js";
export { loadSodium } from "../crypto/sodium.js";
export * from "../shared/errors.js";
export { importFile, type ImportFileProgress, type ImportPhase, type ImportSummary } from "./import/importFile.js";
export { wallClockMs } from "./import/timezone.js";
export {
  analyzeGlucose,
  type AnalysisOptions,
  type GlucoseAnalysis,
  type Risk,
  type Variability,
} from "./metrics/analysis.js";
export {
  consensusMetrics,
  DEFAULT_OPTIONS,
  IGLU_OPTIONS,
  type ConsensusMetrics,
  type MetricsOptions,
} from "./metrics/consensus.js";
export { cgmActive, type CgmActive } from "./metrics/cgmActive.js";
export { agpProfile, smoothAgp, type AgpOptions, type AgpPoint } from "./metrics/agp.js";
export {
  dailyProfiles,
  dayNightMetrics,
  splitDayNight,
  type DailyProfile,
  type DailyReading,
  type DayNight,
} from "./metrics/daily.js";
export {
  EPISODE_KINDS,
  episodesByDay,
  type Episode,
  type EpisodeKind,
  type EpisodeOptions,
  type EpisodeSummary,
} from "./metrics/episodes.js";
export { griZone, type Gri, type GriZone } from "./metrics/gri.js";
export type { GlucoseSample, PatientClock } from "./metrics/localTime.js";
export type { MageDirection, MageOptions } from "./metrics/mage.js";
export { glucoseSamples } from "./metrics/samples.js";
export {
  assessTargets,
  TARGETS,
  type Band,
  type Goal,
  type GoalResult,
  type Population,
  type TargetSet,
} from "./metrics/targets.js";
export type { SdMeasures } from "./metrics/variability.js";
export { recordsInGrant } from "./export/grantRange.js";
export { toFhirBundle } from "./export/fhir.js";
export { DIRECTION_OF as NIGHTSCOUT_DIRECTION_OF, toNightscoutEntries } from "./export/nightscoutEntries.js";
export { buildReport, type Report } from "./export/report.js";
export { openReport, sealReport } from "./export/reportFile.js";
export { nightscoutItemRecords, type NightscoutSkip } from "./import/nightscout.js";
export { backoffDelay } from "./sync/syncEngine.js";
