// An account's public key bundle: the Ed25519 identity key and an X25519 encryption key that the
// identity key signs (one key per purpose; Ed25519 keys are never converted to X25519), and where
// the account's data lives (shared/placement.ts). Pure codec: the server verifies the
// self-signature with WebCrypto, clients with libsodium.
//
//   body v1: magic "STWK" ‖ 1 ‖ signKey 32 ‖ boxKey 32 ‖ createdAt u64 (ms)          (placement "default")
//   body v2: magic "STWK" ‖ 2 ‖ signKey 32 ‖ boxKey 32 ‖ createdAt u64 ‖ placement u8 (1 = "eu")
//   signature 64: Ed25519 by signKey over context "steward/key-bundle/v1" ‖ body
// The placement must agree with the account id's marker byte; a bundle where they differ is refused.
import { ByteReader, ByteWriter, expectMagic, toHex, utf8 } from "./bytes.js";
import { MalformedInput, UnsupportedVersion } from "./errors.js";
import { labelledHash } from "./hash.js";
import { placementOfId, type Placement } from "./placement.js";
import { signedMessage } from "./signing.js";

export const KEY_BUNDLE_MAGIC = "STWK";
/** v1 for accounts in the default placement (every account before placements existed), v2 otherwise. */
export const KEY_BUNDLE_VERSION = 1;
export const KEY_BUNDLE_PLACED_VERSION = 2;
export const KEY_BUNDLE_BYTES = 4 + 1 + 32 + 32 + 8 + 64;
/** The placement byte of a v2 body. */
const EU_CODE = 1;
export const ACCOUNT_ID_BYTES = 16;

export interface KeyBundle {
  readonly signKey: Uint8Array;
  readonly boxKey: Uint8Array;
  readonly createdAt: number;
  readonly signature: Uint8Array;
}

/** Where the bundle's account keeps its data: read from the id its identity key hashes to. */
export function bundlePlacement(bundle: Pick<KeyBundle, "signKey">): Placement {
  return placementOfId(accountIdOf(bundle.signKey));
}

export function keyBundleBody(bundle: Omit<KeyBundle, "signature">): Uint8Array {
  const placement = bundlePlacement(bundle);
  const writer = new ByteWriter(KEY_BUNDLE_BYTES + 1)
    .raw(utf8(KEY_BUNDLE_MAGIC))
    .u8(placement === "default" ? KEY_BUNDLE_VERSION : KEY_BUNDLE_PLACED_VERSION)
    .fixed(bundle.signKey, 32, "signKey")
    .fixed(bundle.boxKey, 32, "boxKey")
    .u64(bundle.createdAt);
  return (placement === "default" ? writer : writer.u8(EU_CODE)).finish();
}

export function keyBundleSignedBytes(bundle: Omit<KeyBundle, "signature">): Uint8Array {
  return signedMessage("keyBundle", keyBundleBody(bundle));
}

export function encodeKeyBundle(bundle: KeyBundle): Uint8Array {
  return new ByteWriter(KEY_BUNDLE_BYTES + 1)
    .raw(keyBundleBody(bundle))
    .fixed(bundle.signature, 64, "signature")
    .finish();
}

/** Decodes a bundle's structure; the self-signature is checked by the caller. */
export function decodeKeyBundle(bytes: Uint8Array): KeyBundle {
  const reader = new ByteReader(bytes, "key bundle");
  expectMagic(reader, KEY_BUNDLE_MAGIC, "key bundle");
  const version = reader.u8("version");
  if (version !== KEY_BUNDLE_VERSION && version !== KEY_BUNDLE_PLACED_VERSION)
    throw new UnsupportedVersion(`key bundle version ${version} is not supported`);
  const signKey = reader.fixed(32, "signKey");
  const boxKey = reader.fixed(32, "boxKey");
  const createdAt = reader.u64("createdAt");
  let stated: Placement = "default";
  if (version === KEY_BUNDLE_PLACED_VERSION) {
    const code = reader.u8("placement");
    if (code !== EU_CODE) throw new MalformedInput(`key bundle placement ${code} is not known`);
    stated = "eu";
  }
  const bundle = { signKey, boxKey, createdAt, signature: reader.fixed(64, "signature") };
  reader.end();
  if (bundlePlacement(bundle) !== stated)
    throw new MalformedInput(
      `the key bundle says its data lives in "${stated}", but its account id says "${bundlePlacement(bundle)}"`,
    );
  return bundle;
}

/** Account ids are derived from the identity key, so an id can never be re-pointed at other keys. */
export function accountIdOf(signKey: Uint8Array): Uint8Array {
  return labelledHash("steward/account-id/v1", signKey).slice(0, ACCOUNT_ID_BYTES);
}

export function accountIdHex(signKey: Uint8Array): string {
  return toHex(accountIdOf(signKey));
}
