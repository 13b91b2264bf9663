// Argon2id key derivation from a human-held secret (recovery kit, report passphrase). Parameters
// travel with the ciphertext and are bound into its associated data; a client floor refuses weak
// parameters a server (or a doctored file) offers, so they cannot be downgraded (Seafile's flaw).
import { type ByteReader, ByteWriter } from "../shared/bytes.js";
import { MalformedInput, WeakKdfParameters } from "../shared/errors.js";
import { sodium } from "./sodium.js";

export const KDF_ARGON2ID13 = 2;
export const KDF_PARAMS_BYTES = 1 + 4 + 4 + 16;

export interface KdfParams {
  readonly algorithm: typeof KDF_ARGON2ID13;
  readonly opsLimit: number;
  readonly memLimit: number;
  readonly salt: Uint8Array;
}

/** Below this, derivation is refused. libsodium's INTERACTIVE is 2 passes / 64 MiB. */
export const KDF_FLOOR = { opsLimit: 3, memLimit: 64 * 1024 * 1024 } as const;
/** Above this, derivation is refused too: a file must not be able to make a device allocate without bound. */
export const KDF_CEILING = { opsLimit: 64, memLimit: 1024 * 1024 * 1024 } as const;

export function newKdfParams(opsLimit: number = KDF_FLOOR.opsLimit, memLimit: number = KDF_FLOOR.memLimit): KdfParams {
  const params: KdfParams = { algorithm: KDF_ARGON2ID13, opsLimit, memLimit, salt: sodium().randombytes_buf(16) };
  checkKdfParams(params);
  return params;
}

export function checkKdfParams(params: KdfParams): void {
  if (params.algorithm !== KDF_ARGON2ID13)
    throw new WeakKdfParameters(`key derivation algorithm ${params.algorithm} is not Argon2id`);
  if (params.opsLimit < KDF_FLOOR.opsLimit || params.memLimit < KDF_FLOOR.memLimit) {
    throw new WeakKdfParameters(
      `key derivation parameters (${params.opsLimit} passes, ${params.memLimit >> 20} MiB) are below this app's minimum; refusing to use them`,
    );
  }
  if (params.opsLimit > KDF_CEILING.opsLimit || params.memLimit > KDF_CEILING.memLimit) {
    throw new WeakKdfParameters(
      `key derivation parameters (${params.opsLimit} passes, ${params.memLimit >> 20} MiB) exceed what this device will run`,
    );
  }
}

export function encodeKdfParams(params: KdfParams): Uint8Array {
  return new ByteWriter(KDF_PARAMS_BYTES)
    .u8(params.algorithm)
    .u32(params.opsLimit)
    .u32(params.memLimit)
    .fixed(params.salt, 16, "salt")
    .finish();
}

export function readKdfParams(reader: ByteReader): KdfParams {
  const algorithm = reader.u8("kdf algorithm");
  const opsLimit = reader.u32("opsLimit");
  const memLimit = reader.u32("memLimit");
  const salt = reader.fixed(16, "salt");
  if (algorithm !== KDF_ARGON2ID13)
    throw new WeakKdfParameters(`key derivation algorithm ${algorithm} is not Argon2id`);
  return { algorithm, opsLimit, memLimit, salt };
}

/** 32-byte key from `secret`; checks the floor before spending any work. */
export function deriveKey(secret: Uint8Array, params: KdfParams): Uint8Array {
  checkKdfParams(params);
  if (secret.length === 0) throw new MalformedInput("the secret is empty");
  return sodium().crypto_pwhash(
    32,
    secret,
    params.salt,
    params.opsLimit,
    params.memLimit,
    sodium().crypto_pwhash_ALG_ARGON2ID13,
  );
}
