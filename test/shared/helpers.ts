// Shared test helpers: fixed seeds for reproducible vectors, and the one assertion every
// adversarial test makes: failure is a typed StewardError (of an expected class), never an
// untyped exception and never a result.
import { expect, vi } from "vitest";
import { fromHex } from "../../shared/bytes.js";
import { StewardError } from "../../shared/errors.js";
import { accountKeysFrom, type AccountKeys } from "../../crypto/accountKeys.js";
import { sodium } from "../../crypto/sodium.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => StewardError;

/** Runs `fn` and asserts it throws a StewardError, one of `classes` when given. Returns the error. */
export function expectTyped(fn: () => unknown, ...classes: ErrorClass[]): StewardError {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    if (!(error instanceof StewardError))
      throw new Error(`expected a StewardError, got an untyped ${String(error)}`, { cause: error });
    if (classes.length > 0 && !classes.some((c) => error instanceof c)) {
      throw new Error(`expected ${classes.map((c) => c.name).join(" or ")}, got ${error.name}: ${error.message}`, {
        cause: error,
      });
    }
    return error;
  }
  expect.fail(`expected a typed error, but the call returned ${describe(result)}`);
}

/** Same as expectTyped, but a valid result passes through (for decoders fed random bytes). */
export function typedOrValue<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: StewardError } {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (!(error instanceof StewardError))
      throw new Error(`expected a StewardError, got an untyped ${String(error)}`, { cause: error });
    return { ok: false, error };
  }
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A 32-byte seed whose every byte is `fill` (readable in vectors). */
export function seed(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

export function bytesOf(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/** Deterministic account keys from two seeds (sign, box) and a creation time. */
export function fixedAccount(signFill: number, boxFill: number, createdAt = 1_767_225_600_000): AccountKeys {
  const s = sodium();
  const sign = s.crypto_sign_seed_keypair(seed(signFill));
  const box = s.crypto_box_seed_keypair(seed(boxFill));
  return accountKeysFrom(sign.publicKey, sign.privateKey, box.publicKey, box.privateKey, createdAt);
}

export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

export const hex = (h: string): Uint8Array => fromHex(h);

/** A copy of `bytes` with a big-endian u32 written at `at` (to doctor a header field). */
export function withU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, value);
  return out;
}

/** Argon2id runs during fn (which asserts its own outcome): a refusal must come before any slow derivation. */
export function derivationsDuring(fn: () => unknown): number {
  const spy = vi.spyOn(sodium(), "crypto_pwhash");
  try {
    fn();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}
