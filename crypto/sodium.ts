// The one place libsodium is loaded. Clients only: libsodium cannot run inside workerd (it compiles
// wasm from bytes), so nothing under durable-objects/ or worker/ may import this module.
import sodiumModule from "libsodium-wrappers-sumo";
import { CryptoUnavailable } from "../shared/errors.js";

export type Sodium = typeof sodiumModule;

// The typings declare functions a build may lack (the standard build has no crypto_pwhash); check
// every function Steward calls once, at start-up, instead of failing later with "not a function".
const REQUIRED = [
  "crypto_kdf_derive_from_key",
  "crypto_generichash",
  "crypto_aead_xchacha20poly1305_ietf_encrypt",
  "crypto_aead_xchacha20poly1305_ietf_decrypt",
  "crypto_sign_seed_keypair",
  "crypto_sign_keypair",
  "crypto_sign_detached",
  "crypto_sign_verify_detached",
  "crypto_box_keypair",
  "crypto_box_seed_keypair",
  "crypto_box_seal",
  "crypto_box_seal_open",
  "crypto_box_easy",
  "crypto_box_open_easy",
  "crypto_auth",
  "crypto_auth_verify",
  "crypto_pwhash",
  "crypto_secretstream_xchacha20poly1305_init_push",
  "crypto_secretstream_xchacha20poly1305_push",
  "crypto_secretstream_xchacha20poly1305_init_pull",
  "crypto_secretstream_xchacha20poly1305_pull",
  "randombytes_buf",
  "pad",
  "unpad",
  "memzero",
] as const;

let loaded: Promise<Sodium> | undefined;
let ready = false;

/** Resolves to a ready libsodium (sumo build) after checking every function Steward needs. */
export function loadSodium(): Promise<Sodium> {
  loaded ??= sodiumModule.ready.then(() => {
    const missing = REQUIRED.filter(
      (name) => typeof (sodiumModule as unknown as Record<string, unknown>)[name] !== "function",
    );
    if (missing.length > 0)
      throw new CryptoUnavailable(
        `this libsodium build lacks ${missing.join(", ")}; Steward needs libsodium-wrappers-sumo`,
      );
    ready = true;
    return sodiumModule;
  });
  return loaded;
}

/** The loaded library, for synchronous code that runs after `await loadSodium()`. */
export function sodium(): Sodium {
  if (!ready) throw new CryptoUnavailable("libsodium is not loaded yet: await loadSodium() first");
  return sodiumModule;
}
