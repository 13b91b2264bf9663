// Who may have written what this device takes in: the one place a client decides it. An hour
// envelope counts when one of the patient's devices signed it (a device of the patient's signed
// device list; a removed one only up to the last envelope of its chain that the removal counted),
// or a write grantee inside its grant (a revoked one only up to its signed revocation's cut-off);
// a block only when one of the patient's devices sealed it (a removed one: only blocks the log
// numbered before its removal). A v1 envelope, read only to migrate a v1 log, was signed with the
// account's identity key, as is everything of an account without a device list. "revoked" is a
// genuine signer whose later writes are refused, "unknown" a key this device cannot place (it may
// fetch the device list or the grants and ask again).
import { bytesEqual, toHex } from "../../shared/bytes.js";
import type { BlockHeader } from "../../shared/blockCodec.js";
import { authorStanding, findDevice } from "../../shared/deviceList.js";
import { LEGACY_ENVELOPE_VERSION, type EnvelopeHeader } from "../../shared/envelopeCodec.js";
import type { Scope } from "../../shared/records.js";
import type { DelegatedWriter, KeySource } from "../keySource.js";

export type Authored =
  | { readonly kind: "envelope"; readonly scope: Scope; readonly header: EnvelopeHeader }
  | { readonly kind: "block"; readonly header: BlockHeader; readonly seq: number };

export type Standing = "allowed" | "revoked" | "unknown";

export function mayAuthor(keys: KeySource, object: Authored): Standing {
  const list = keys.patientDevices();
  // Without a device list (a v1 account whose devices have not certified keys of their own yet)
  // the identity key signs for the patient, as in v1. A grantee's grant names the list it must be
  // served (client/keySource.ts), unless it was issued before grants named one.
  const identity = (authorKey: Uint8Array) => !list && bytesEqual(authorKey, keys.patientKey);
  if (object.kind === "block") {
    if (identity(object.header.authorKey)) return "allowed";
    const device = list && findDevice(list, object.header.deviceId);
    if (!device || !bytesEqual(device.certificate.signKey, object.header.authorKey)) return "unknown";
    return device.removed && object.seq > device.removed.lastServerSeq ? "revoked" : "allowed";
  }
  const { authorKey, deviceId, seq, hour, generation, version } = object.header;
  if ((version === LEGACY_ENVELOPE_VERSION && bytesEqual(authorKey, keys.patientKey)) || identity(authorKey))
    return "allowed";
  const device = list ? authorStanding(list, authorKey, deviceId, seq) : "unknown";
  if (device === "allowed") return "allowed";
  if (device === "removed") return "revoked";
  const matching = keys
    .writers()
    .filter((w) => bytesEqual(w.signKey, authorKey) && inside(w, object.scope, hour, generation));
  if (matching.length === 0) return "unknown";
  return matching.some((w) => counts(w, deviceId, seq)) ? "allowed" : "revoked";
}

function inside(w: DelegatedWriter, scope: Scope, hour: number, generation: number): boolean {
  return (
    w.scopes.includes(scope) &&
    hour >= w.fromHour &&
    hour <= w.toHour &&
    (!w.generations || (w.generations[scope] ?? []).includes(generation))
  );
}

/** A writer's envelope counts unless the patient revoked it, then only up to the revocation's cut-off. */
function counts(w: DelegatedWriter, deviceId: Uint8Array, seq: number): boolean {
  if (!w.cutoffs) return true;
  const cutoff = w.cutoffs.find((c) => c.deviceId === toHex(deviceId));
  return !!cutoff && seq <= cutoff.lastSeq;
}
