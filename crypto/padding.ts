// Ciphertext sizes leak content (Threema's backups fell to a size side channel), so plaintext is
// padded (ISO/IEC 7816-4, libsodium's sodium_pad) to a bucket before encryption, and never compressed.
// Up to 4 KiB the buckets are 256-byte steps. Above, protocol v2 uses Padmé (Nikitin et al., "Reducing
// Metadata Leakage from Encrypted Files and Communication with PURBs", 2019): at most 12 % overhead
// and O(log log n) bits of leakage, where v1's powers of two cost up to 100 % (a block of a few
// weeks would have doubled). v1's buckets are kept for reading v1 envelopes during migration.
import { MalformedInput, TamperedEnvelope } from "../shared/errors.js";
import { sodium } from "./sodium.js";

const STEP = 256;
const LINEAR_LIMIT = 4096;

export type PaddingScheme = "v1" | "v2";

/** Padmé: round n up, keeping only the top floor(log2 floor(log2 n)) + 1 significant bits. */
function padme(n: number): number {
  const e = Math.floor(Math.log2(n));
  const s = Math.floor(Math.log2(e)) + 1;
  const unit = 2 ** (e - s);
  return Math.ceil(n / unit) * unit;
}

/** Smallest bucket holding `length` bytes plus at least one byte of padding. */
export function paddedLength(length: number, scheme: PaddingScheme = "v2"): number {
  const needed = length + 1;
  if (needed <= LINEAR_LIMIT) return Math.ceil(needed / STEP) * STEP;
  return scheme === "v1" ? 2 ** Math.ceil(Math.log2(needed)) : padme(needed);
}

export function isBucketSize(length: number, scheme: PaddingScheme = "v2"): boolean {
  return length > 0 && paddedLength(length - 1, scheme) === length;
}

export function pad(plaintext: Uint8Array): Uint8Array {
  return sodium().pad(plaintext, paddedLength(plaintext.length));
}

export function unpad(padded: Uint8Array, scheme: PaddingScheme = "v2"): Uint8Array {
  if (!isBucketSize(padded.length, scheme))
    throw new MalformedInput(`padded length ${padded.length} is not a bucket size`);
  try {
    return sodium().unpad(padded, padded.length);
  } catch {
    throw new TamperedEnvelope("padding is invalid");
  }
}
