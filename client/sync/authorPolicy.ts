// Who may have written what this device takes in: the one place a client decides it, so #10 extends
// it (device keys certified by the account's signed device list, revocations) without touching
// ingest. Today an hour envelope is authentic when the key source allows its author for its scope,
// hour and generation (the patient, or a write grantee inside its grant); a block only when one of
// the patient's own devices sealed it: a grantee, even one that may write, never seals a block.
import type { BlockHeader } from "../../shared/blockCodec.js";
import type { EnvelopeHeader } from "../../shared/envelopeCodec.js";
import type { Scope } from "../../shared/records.js";
import type { KeySource } from "../keySource.js";

export type Authored = { readonly kind: "envelope"; readonly scope: Scope; readonly header: EnvelopeHeader } | { readonly kind: "block"; readonly header: BlockHeader };

export function mayAuthor(keys: KeySource, object: Authored): boolean {
  if (object.kind === "block") return keys.patientDevice(object.header.authorKey);
  const { authorKey, hour, generation } = object.header;
  return keys.authorAllowed(authorKey, object.scope, hour, generation);
}
