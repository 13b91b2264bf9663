// Opaque per-patient scope tags: the server routes and filters by tag without learning which
// tag is "insulin". A keyed BLAKE2b of the scope name under the patient's metadata key.
import { utf8 } from "../shared/bytes.js";
import type { Scope } from "../shared/records.js";
import { sodium } from "./sodium.js";

export const SCOPE_TAG_BYTES = 16;

export function scopeTag(metaKey: Uint8Array, scope: Scope): Uint8Array {
  return sodium().crypto_generichash(SCOPE_TAG_BYTES, utf8(`steward/scope-tag/v1\u0000${scope}`), metaKey);
}
