// Signed revocations (shared/revocation.ts) as clients make and check them: the patient signs one
// for every grant it ends; a grantee's device keeps those it has seen, and the highest revision of
// each grant, so a server replaying an old grant cannot make it show as active again.
import { verifyMessage, type AccountKeys } from "../crypto/accountKeys.js";
import { toHex } from "../shared/bytes.js";
import {
  decodeRevocation,
  encodeRevocation,
  revocationSignedBytes,
  type Revocation,
  type UnsignedRevocation,
} from "../shared/revocation.js";
import { sodium } from "../crypto/sodium.js";

export function signRevocation(patient: AccountKeys, unsigned: UnsignedRevocation): Uint8Array {
  return encodeRevocation({
    ...unsigned,
    signature: sodium().crypto_sign_detached(revocationSignedBytes(unsigned), patient.signSecretKey),
  });
}

/** A revocation checked to be signed by `patientKey` (InvalidSignature otherwise). */
export function verifiedRevocation(bytes: Uint8Array, patientKey: Uint8Array): Revocation {
  const revocation = decodeRevocation(bytes);
  verifyMessage(revocation.signature, revocationSignedBytes(revocation), patientKey, "grant revocation");
  return revocation;
}

export function revokedGrantId(bytes: Uint8Array): string {
  return toHex(decodeRevocation(bytes).grantId);
}

/**
 * What names a share on a grantee's device: the patient and the grant id together, since another
 * patient may issue a grant under the same id (its revocations and revisions must not touch this one).
 */
export function shareKey(patientId: string, grantId: string): string {
  return `${patientId}/${grantId}`;
}

export function revokedShare(bytes: Uint8Array): string {
  const revocation = decodeRevocation(bytes);
  return shareKey(toHex(revocation.patientId), toHex(revocation.grantId));
}
