// An account's secret keys and the signed public bundle made from them (clients only).
import { InvalidSignature } from "../shared/errors.js";
import { accountIdOf, keyBundleSignedBytes, type KeyBundle } from "../shared/keyBundle.js";
import { placementOfId, type Placement } from "../shared/placement.js";
import { signedMessage, type SignatureContext } from "../shared/signing.js";
import { sodium } from "./sodium.js";

export interface AccountKeys {
  readonly signKey: Uint8Array;
  readonly signSecretKey: Uint8Array;
  readonly boxKey: Uint8Array;
  readonly boxSecretKey: Uint8Array;
  readonly bundle: KeyBundle;
}

/**
 * Fresh, independent key pairs for signing and for encryption. The identity key is drawn until its
 * account id carries `placement` (shared/placement.ts): about 256 draws for "eu", one for "default".
 */
export function createAccountKeys(now = Date.now(), placement: Placement = "default"): AccountKeys {
  const s = sodium();
  let sign = s.crypto_sign_keypair();
  while (placementOfId(accountIdOf(sign.publicKey)) !== placement) sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  return accountKeysFrom(sign.publicKey, sign.privateKey, box.publicKey, box.privateKey, now);
}

export function accountKeysFrom(
  signKey: Uint8Array,
  signSecretKey: Uint8Array,
  boxKey: Uint8Array,
  boxSecretKey: Uint8Array,
  createdAt: number,
): AccountKeys {
  const unsigned = { signKey, boxKey, createdAt };
  const signature = sodium().crypto_sign_detached(keyBundleSignedBytes(unsigned), signSecretKey);
  return { signKey, signSecretKey, boxKey, boxSecretKey, bundle: { ...unsigned, signature } };
}

/** Throws InvalidSignature unless the bundle's encryption key is signed by its identity key. */
export function verifyKeyBundle(bundle: KeyBundle): KeyBundle {
  if (!sodium().crypto_sign_verify_detached(bundle.signature, keyBundleSignedBytes(bundle), bundle.signKey)) {
    throw new InvalidSignature("key bundle is not signed by its own identity key");
  }
  return bundle;
}

export function sign(context: SignatureContext, secretKey: Uint8Array, ...payload: Uint8Array[]): Uint8Array {
  return sodium().crypto_sign_detached(signedMessage(context, ...payload), secretKey);
}

export function verify(
  context: SignatureContext,
  signature: Uint8Array,
  publicKey: Uint8Array,
  what: string,
  ...payload: Uint8Array[]
): void {
  verifyMessage(signature, signedMessage(context, ...payload), publicKey, what);
}

/** Like `verify`, for a message that already starts with its context (the codecs' `…SignedBytes`). */
export function verifyMessage(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, what: string): void {
  if (
    signature.length !== 64 ||
    publicKey.length !== 32 ||
    !sodium().crypto_sign_verify_detached(signature, message, publicKey)
  ) {
    throw new InvalidSignature(`${what}: signature does not verify`);
  }
}
