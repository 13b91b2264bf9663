// Ciphertext sizes leak content (Threema's backups fell to a size side channel), so plaintext is
// padded (ISO/IEC 7816-4, libsodium's sodium_pad) to a bucket before encryption, and never compressed.
import { MalformedInput, TamperedEnvelope } from "./errors.js";
import { sodium } from "./sodium.js";

const STEP = 256;
const LINEAR_LIMIT = 4096;

/** Smallest bucket holding `length` bytes plus at least one byte of padding: 256-byte steps to 4 KiB, then powers of two. */
export function paddedLength(length: number): number {
  const needed = length + 1;
  if (needed <= LINEAR_LIMIT) return Math.ceil(needed / STEP) * STEP;
  return 2 ** Math.ceil(Math.log2(needed));
}

export function isBucketSize(length: number): boolean {
  return length > 0 && paddedLength(length - 1) === length;
}

export function pad(plaintext: Uint8Array): Uint8Array {
  const target = paddedLength(plaintext.length);
  return sodium().pad(plaintext, target);
}

export function unpad(padded: Uint8Array): Uint8Array {
  if (!isBucketSize(padded.length)) throw new MalformedInput(`padded length ${padded.length} is not a bucket size`);
  try {
    return sodium().unpad(padded, padded.length);
  } catch {
    throw new TamperedEnvelope("padding is invalid");
  }
}
