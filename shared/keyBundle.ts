// An account's public key bundle: the Ed25519 identity key and an X25519 encryption key that the
// identity key signs (one key per purpose; Ed25519 keys are never converted to X25519). Pure codec:
// the server verifies the self-signature with WebCrypto, clients with libsodium.
//
//   body: magic "STWK" ‖ version u8 ‖ signKey 32 ‖ boxKey 32 ‖ createdAt u64 (ms)
//   signature 64: Ed25519 by signKey over context "steward/key-bundle/v1" ‖ body
import { ByteReader, ByteWriter, expectMagic, toHex, utf8 } from "./bytes.js";
import { UnsupportedVersion } from "./errors.js";
import { labelledHash } from "./hash.js";
import { signedMessage } from "./signing.js";

export const KEY_BUNDLE_MAGIC = "STWK";
export const KEY_BUNDLE_VERSION = 1;
export const KEY_BUNDLE_BYTES = 4 + 1 + 32 + 32 + 8 + 64;
export const ACCOUNT_ID_BYTES = 16;

export interface KeyBundle {
  readonly signKey: Uint8Array;
  readonly boxKey: Uint8Array;
  readonly createdAt: number;
  readonly signature: Uint8Array;
}

export function keyBundleBody(bundle: Omit<KeyBundle, "signature">): Uint8Array {
  return new ByteWriter(KEY_BUNDLE_BYTES)
    .raw(utf8(KEY_BUNDLE_MAGIC))
    .u8(KEY_BUNDLE_VERSION)
    .fixed(bundle.signKey, 32, "signKey")
    .fixed(bundle.boxKey, 32, "boxKey")
    .u64(bundle.createdAt)
    .finish();
}

export function keyBundleSignedBytes(bundle: Omit<KeyBundle, "signature">): Uint8Array {
  return signedMessage("keyBundle", keyBundleBody(bundle));
}

export function encodeKeyBundle(bundle: KeyBundle): Uint8Array {
  return new ByteWriter(KEY_BUNDLE_BYTES).raw(keyBundleBody(bundle)).fixed(bundle.signature, 64, "signature").finish();
}

/** Decodes a bundle's structure; the self-signature is checked by the caller. */
export function decodeKeyBundle(bytes: Uint8Array): KeyBundle {
  const reader = new ByteReader(bytes, "key bundle");
  expectMagic(reader, KEY_BUNDLE_MAGIC, "key bundle");
  const version = reader.u8("version");
  if (version !== KEY_BUNDLE_VERSION) throw new UnsupportedVersion(`key bundle version ${version} is not supported`);
  const bundle = {
    signKey: reader.fixed(32, "signKey"),
    boxKey: reader.fixed(32, "boxKey"),
    createdAt: reader.u64("createdAt"),
    signature: reader.fixed(64, "signature"),
  };
  reader.end();
  return bundle;
}

/** Account ids are derived from the identity key, so an id can never be re-pointed at other keys. */
export function accountIdOf(signKey: Uint8Array): Uint8Array {
  return labelledHash("steward/account-id/v1", signKey).slice(0, ACCOUNT_ID_BYTES);
}

export function accountIdHex(signKey: Uint8Array): string {
  return toHex(accountIdOf(signKey));
}
