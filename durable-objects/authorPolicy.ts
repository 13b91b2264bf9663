// Who may store what in a patient log: the one place the server decides it, so #10 extends it (device
// keys certified by the patient's signed device list, revocations) without touching the rest of the
// upload. Today an hour envelope must be signed by the session's own identity: the patient's key, or
// a grantee's under a live write grant covering its scope tag, generation and hour. A block may be
// stored by the patient alone: a grantee, even one that may write, never seals a block. A signed
// head (shared/signedHead.ts) comes from the same writers: the patient, or a write grantee.
import { toHex } from "../shared/bytes.js";
import type { BlockHeader } from "../shared/blockCodec.js";
import type { EnvelopeHeader } from "../shared/envelopeCodec.js";
import type { SignedHead } from "../shared/signedHead.js";
import type { GrantPolicy } from "../shared/grantCodec.js";
import { accountIdHex } from "../shared/keyBundle.js";
import { anyCovers } from "./grantRules.js";
import { Refusal } from "./outcome.js";

export interface Writer {
  readonly patientId: string;
  /** The account the session proved. */
  readonly actor: string;
  /** For a grantee: the policies of its live grants. */
  readonly grants?: readonly GrantPolicy[];
}

export type Stored = { readonly kind: "envelope"; readonly header: EnvelopeHeader } | { readonly kind: "block"; readonly header: BlockHeader } | { readonly kind: "head"; readonly header: SignedHead };

/** Refuses (as the client would) an object its author may not store here. */
export function checkAuthor(writer: Writer, object: Stored): void {
  const h = object.header;
  if (toHex(h.patientId) !== writer.patientId) throw new Refusal("forbidden", "an object names another patient");
  if (accountIdHex(h.authorKey) !== writer.actor) throw new Refusal("forbidden", "an object's author key is not your identity key");
  if (object.kind === "block") {
    if (writer.grants) throw new Refusal("forbidden", "only the patient's devices seal blocks");
    return;
  }
  // A head vouches for what its writer wrote: a grantee writes only under a write grant.
  if (object.kind === "head") {
    if (writer.grants && !writer.grants.some((g) => g.write)) throw new Refusal("forbidden", "only writers sign heads; a read grant writes nothing");
    return;
  }
  if (writer.grants && !anyCovers(writer.grants.filter((g) => g.write), object.header)) {
    throw new Refusal("outside_grant", `no live write grant covers scope tag ${toHex(object.header.scopeTag)}, generation ${object.header.generation}, hour ${object.header.hour}`);
  }
}
