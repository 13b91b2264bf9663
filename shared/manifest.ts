// A block's manifest: the hour envelopes it holds, each as its id and chain link, in the order the
// server numbered them. The block's signed header carries their count and this hash; the list itself
// travels only to who needs it (the server recomputes it from its rows, a patient's device from what
// it holds, or checks a copy served beside the block), so a grantee downloads none of it.
import { sha256 } from "@noble/hashes/sha2.js";
import { ByteReader, bytesEqual, utf8 } from "./bytes.js";
import { MalformedInput, TamperedEnvelope } from "./errors.js";
import { ID_BYTES } from "./envelopeCodec.js";

export const MANIFEST_ENTRY_BYTES = ID_BYTES + 32;
const LABEL = "steward/block-manifest/v1";

export interface ManifestEntry {
  readonly envelopeId: Uint8Array;
  readonly link: Uint8Array;
}

/** SHA-256("steward/block-manifest/v1" ‖ 0x00 ‖ (envelopeId ‖ link) for each entry, in server order). */
export function manifestHash(entries: Iterable<ManifestEntry>): Uint8Array {
  const hash = sha256
    .create()
    .update(utf8(LABEL))
    .update(new Uint8Array([0]));
  for (const e of entries) hash.update(e.envelopeId).update(e.link);
  return hash.digest();
}

export function encodeManifest(entries: readonly ManifestEntry[]): Uint8Array {
  const out = new Uint8Array(entries.length * MANIFEST_ENTRY_BYTES);
  entries.forEach((e, i) => {
    out.set(e.envelopeId, i * MANIFEST_ENTRY_BYTES);
    out.set(e.link, i * MANIFEST_ENTRY_BYTES + ID_BYTES);
  });
  return out;
}

/** A manifest served beside a block, checked against the count and hash the block's author signed. */
export function decodeManifest(bytes: Uint8Array, count: number, hash: Uint8Array): ManifestEntry[] {
  if (bytes.length !== count * MANIFEST_ENTRY_BYTES)
    throw new MalformedInput(
      `a manifest of ${count} entries is ${count * MANIFEST_ENTRY_BYTES} bytes, got ${bytes.length}`,
    );
  const r = new ByteReader(bytes, "manifest");
  const entries = Array.from({ length: count }, () => ({
    envelopeId: r.fixed(ID_BYTES, "envelopeId"),
    link: r.fixed(32, "link"),
  }));
  if (!bytesEqual(manifestHash(entries), hash))
    throw new TamperedEnvelope("the manifest served with a block is not the one its author signed");
  return entries;
}
