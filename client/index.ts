// The SDK's public surface: the two kinds of device, the record model, and the errors to catch.
export { Patient, type AccessEvent, type InviteOptions, type ShareOptions } from "./patient.js";
export { Grantee, SharedView, type Share } from "./grantee.js";
export type { LinkRequest, OpenOptions } from "./accountDevice.js";
export type { Contact } from "./contacts.js";
export type { GrantInfo, GrantStatus } from "./grantInfo.js";
export type { RecordQuery } from "./store/recordStore.js";
export type { SyncStatus } from "./sync/syncEngine.js";
export { SCOPES, SCOPE_LABELS, type Scope, type StewardRecord } from "../shared/records.js";
export * from "../shared/errors.js";
